using RaftOrleans.Raft.Messages;
using static RaftOrleans.Raft.Tests.Paper.PaperKit;

namespace RaftOrleans.Raft.Tests.Paper;

/// <summary>§5.2 leader election and §5.4.1 the election restriction.</summary>
public sealed class ElectionTests
{
    /// <summary>Ticks a node until it campaigns (its term or role changes); returns the ticks it took and what it sent.</summary>
    private static (int Ticks, List<RaftMessage> Sent) TicksUntilCampaign(Host host)
    {
        var (term, role) = (host.Node.Term, host.Node.Role);
        for (var ticks = 1; ticks <= 4 * ElectionTicks; ticks++)
        {
            var sent = host.Tick();
            if (host.Node.Term != term || host.Node.Role != role) return (ticks, sent);
        }
        throw new Xunit.Sdk.XunitException($"{host.Id} never campaigned");
    }

    // §5.2: "If a follower receives no communication over a period of time called the election timeout,
    // then it ... begins an election ... increments its current term and transitions to candidate
    // state. It then votes for itself and issues RequestVote RPCs in parallel to each of the other
    // servers." Figure 2: candidates "increment currentTerm, vote for self, send RequestVote to all".
    [Fact]
    public void A_follower_campaigns_after_the_election_timeout_voting_for_itself_in_a_new_term()
    {
        var host = new Host(Options(voters: 5), restored: Persisted(4, 0, LogWithTerms(1, 3)));

        var (ticks, sent) = TicksUntilCampaign(host);

        Assert.InRange(ticks, ElectionTicks, 2 * ElectionTicks - 1);
        Assert.Equal(Role.Candidate, host.Node.Role);
        Assert.Equal(5, host.Node.Term);
        Assert.Equal("n1", host.Node.VotedFor);
        Assert.Equal(new HardState(5, "n1", 0), host.Hard);
        var requests = sent.OfType<RequestVote>().ToList();
        Assert.Equal(["n2", "n3", "n4", "n5"], requests.Select(r => r.To).Order());
        Assert.All(requests, r => Assert.Equal((5L, 2L, 3L, false), (r.Term, r.LastLogIndex, r.LastLogTerm, r.PreVote)));
    }

    // §5.2: "Raft uses randomized election timeouts ... chosen randomly from a fixed interval", here
    // [E, 2E), so that split votes are rare and resolved quickly.
    [Fact]
    public void Election_timeouts_are_randomised_within_e_to_two_e()
    {
        var timeouts = Enumerable.Range(0, 60).Select(seed => TicksUntilCampaign(new Host(Options(), seed)).Ticks).ToList();

        Assert.All(timeouts, t => Assert.InRange(t, ElectionTicks, 2 * ElectionTicks - 1));
        Assert.True(timeouts.Distinct().Count() >= ElectionTicks / 2,
            $"timeouts barely vary: {string.Join(",", timeouts.Distinct().Order())}");
    }

    // §5.2: "A server remains in follower state as long as it receives valid RPCs from a leader or
    // candidate."
    [Fact]
    public void A_follower_hearing_from_the_leader_never_campaigns()
    {
        var host = new Host(Options());
        host.Step(Heartbeat("n2", "n1", 1));
        for (var round = 0; round < 20; round++)
        {
            Assert.DoesNotContain(host.Tick(ElectionTicks - 1), m => m is RequestVote);
            host.Step(Heartbeat("n2", "n1", 1));
        }
        Assert.Equal((Role.Follower, 1L, "n2"), (host.Node.Role, host.Node.Term, host.Node.Leader));
    }

    // §5.2: "A candidate wins an election if it receives votes from a majority of the servers in the full
    // cluster for the same term." Its own vote counts.
    [Theory]
    [InlineData(3, new string[0], Role.Candidate)]
    [InlineData(3, new[] { "n2" }, Role.Leader)]
    [InlineData(5, new[] { "n2" }, Role.Candidate)]
    [InlineData(5, new[] { "n2", "n3" }, Role.Leader)]
    [InlineData(7, new[] { "n2", "n3" }, Role.Candidate)]
    [InlineData(7, new[] { "n2", "n3", "n7" }, Role.Leader)]
    public void A_candidate_wins_with_votes_from_a_majority(int voters, string[] granting, Role expected)
    {
        var host = new Host(Options(voters: voters));
        host.Node.Campaign();
        host.Drain();
        foreach (var voter in granting)
        {
            host.Step(new RequestVoteResponse(voter, "n1", 1, PreVote: false, Granted: true));
            host.Step(new RequestVoteResponse(voter, "n1", 1, PreVote: false, Granted: true)); // duplicates count once
        }
        Assert.Equal(expected, host.Node.Role);
        Assert.Equal(1, host.Node.Term);
    }

    // §5.2: a candidate that a majority refused cannot win this term; it stops campaigning and waits
    // as a follower (its timer still runs, so it will try again in a later term).
    [Fact]
    public void A_candidate_refused_by_a_majority_stops_campaigning()
    {
        var host = new Host(Options(voters: 5));
        host.Node.Campaign();
        host.Drain();
        host.Step(new RequestVoteResponse("n2", "n1", 1, false, Granted: false));
        Assert.Equal(Role.Candidate, host.Node.Role);
        host.Step(new RequestVoteResponse("n3", "n1", 1, false, Granted: false));
        host.Step(new RequestVoteResponse("n4", "n1", 1, false, Granted: false));
        Assert.Equal((Role.Follower, 1L), (host.Node.Role, host.Node.Term));
    }

    // §5.2: "Once a candidate wins an election, it becomes leader. It then sends heartbeat messages to
    // all of the other servers to establish its authority and prevent new elections." Ours carry the
    // no-op of §5.4.2 and leave at once, not at the next heartbeat tick.
    [Fact]
    public void A_new_leader_announces_itself_to_every_server_at_once()
    {
        var host = new Host(Options(voters: 5));
        var sent = host.BecomeLeader();
        var appends = sent.OfType<AppendEntries>().ToList();
        Assert.Equal(["n2", "n3", "n4", "n5"], appends.Select(a => a.To).Order());
        Assert.All(appends, a => Assert.Equal(1, a.Term));
        Assert.Equal("n1", host.Node.Leader);
    }

    // §5.2: "If the leader's term (included in its RPC) is at least as large as the candidate's current
    // term, then the candidate recognizes the leader as legitimate and returns to follower state."
    [Fact]
    public void A_candidate_hearing_from_a_leader_of_its_term_becomes_its_follower()
    {
        var host = new Host(Options());
        host.Node.Campaign();
        host.Drain();

        var sent = host.Step(Heartbeat("n2", "n1", 1));

        Assert.Equal((Role.Follower, 1L, "n2"), (host.Node.Role, host.Node.Term, host.Node.Leader));
        var ack = Assert.IsType<AppendEntriesResponse>(Assert.Single(sent));
        Assert.True(ack.Success);
    }

    // §5.2: "If the term in the RPC is smaller than the candidate's current term, then the candidate
    // rejects the RPC and continues in candidate state."
    [Fact]
    public void A_candidate_rejects_a_leader_of_an_older_term()
    {
        var host = new Host(Options(), restored: Persisted(2, 0));
        host.Node.Campaign();
        host.Drain();

        host.Step(Heartbeat("n2", "n1", 2));

        Assert.Equal((Role.Candidate, 3L, (string?)null), (host.Node.Role, host.Node.Term, host.Node.Leader));
    }

    // §5.2: on a split vote "each candidate will time out and start a new election by incrementing its
    // term and initiating another round of RequestVote RPCs", after a new randomized timeout.
    [Fact]
    public void A_candidate_without_a_majority_starts_a_new_election_after_a_randomised_timeout()
    {
        foreach (var seed in Enumerable.Range(0, 20))
        {
            var host = new Host(Options(), seed);
            host.Node.Campaign();
            host.Drain();
            host.Step(new RequestVoteResponse("n2", "n1", 1, false, Granted: false)); // a split: one no, one silent

            var (ticks, sent) = TicksUntilCampaign(host);

            Assert.InRange(ticks, ElectionTicks, 2 * ElectionTicks - 1);
            Assert.Equal((Role.Candidate, 2L, "n1"), (host.Node.Role, host.Node.Term, host.Node.VotedFor));
            Assert.Equal(2, sent.OfType<RequestVote>().Count(r => r.Term == 2));
        }
    }

    // §5.2: "Each server will vote for at most one candidate in a given term, on a first-come-first-served
    // basis." A repeated request from the candidate it voted for is granted again (the answer may have
    // been lost); Figure 2: "If votedFor is null or candidateId ... grant vote".
    [Fact]
    public void A_server_grants_at_most_one_vote_per_term_first_come_first_served()
    {
        var host = new Host(Options(voters: 5));

        Assert.True(Granted(host.Step(Vote("n2", "n1", 1, 0, 0))));
        Assert.False(Granted(host.Step(Vote("n3", "n1", 1, 0, 0))));
        Assert.True(Granted(host.Step(Vote("n2", "n1", 1, 0, 0))));
        Assert.Equal(new HardState(1, "n2", 0), host.Hard);

        // A new term brings a new vote.
        Assert.True(Granted(host.Step(Vote("n3", "n1", 2, 0, 0))));
        Assert.Equal(new HardState(2, "n3", 0), host.Hard);
    }

    // §5.2: a candidate has voted for itself, so it grants no one else in its term.
    [Fact]
    public void A_candidate_does_not_vote_for_a_rival_of_its_term()
    {
        var host = new Host(Options());
        host.Node.Campaign();
        host.Drain();
        Assert.False(Granted(host.Step(Vote("n2", "n1", 1, 5, 1))));
        Assert.Equal("n1", host.Node.VotedFor);
    }

    // §5.4.1: "If the logs have last entries with different terms, then the log with the later term is
    // more up-to-date. If the logs end with the same term, then whichever log is longer is more
    // up-to-date." The voter denies its vote to a candidate whose log is less up-to-date than its own.
    [Theory]
    [InlineData(5, 1, false)] // lower last term, however long
    [InlineData(1, 2, false)] // same last term, shorter
    [InlineData(2, 2, true)]  // same last term, same length
    [InlineData(3, 2, true)]  // same last term, longer
    [InlineData(1, 3, true)]  // higher last term, even if shorter
    public void A_voter_refuses_a_candidate_whose_log_is_less_up_to_date(long candidateLastIndex, long candidateLastTerm, bool granted)
    {
        var voter = new Host(Options(), restored: Persisted(2, 0, LogWithTerms(1, 2)));

        var sent = voter.Step(Vote("n2", "n1", 3, candidateLastIndex, candidateLastTerm));

        Assert.Equal(granted, Granted(sent));
        Assert.Equal(3, voter.Node.Term); // the term is adopted either way (§5.1)
        Assert.Equal(granted ? "n2" : null, voter.Node.VotedFor);
    }

    private static bool Granted(List<RaftMessage> sent) =>
        Assert.IsType<RequestVoteResponse>(Assert.Single(sent)).Granted;
}
