using RaftOrleans.Raft.Messages;
using static RaftOrleans.Raft.Tests.Paper.PaperKit;

namespace RaftOrleans.Raft.Tests.Paper;

/// <summary>The dissertation's defences against disruptive servers: pre-vote (§9.6) and check-quorum
/// with leader leases (§6.2, §4.2.3).</summary>
public sealed class PreVoteAndCheckQuorumTests
{
    private static RaftOptions WithPreVote(string id = "n1") => Options(id) with { PreVote = true, CheckQuorum = true };

    // §9.6: "a candidate would first ask other servers whether its log was up-to-date enough to get their
    // vote. Only if the candidate believed it could get votes from a majority of the cluster would it
    // increment its term and start a normal election." A partitioned server therefore keeps its term.
    [Fact]
    public void A_partitioned_node_keeps_its_term_while_no_majority_answers_its_pre_votes()
    {
        var host = new Host(WithPreVote(), restored: Persisted(2, 0, LogWithTerms(1, 2)));

        var sent = host.Tick(20 * ElectionTicks); // every message it sends is lost

        Assert.Equal(2, host.Node.Term);
        Assert.Equal(Role.PreCandidate, host.Node.Role);
        Assert.Null(host.Node.VotedFor);
        var requests = sent.Cast<RequestVote>().ToList();
        Assert.True(requests.Count >= 2 * 10, $"only {requests.Count} pre-vote requests in 20 election timeouts");
        Assert.All(requests, r => Assert.Equal((true, 3L, 2L, 2L), (r.PreVote, r.Term, r.LastLogIndex, r.LastLogTerm)));
        Assert.DoesNotContain(host.Readies, r => r.HardState is not null);
    }

    // §9.6: with a majority of pre-votes the node runs a real election in the next term.
    [Fact]
    public void A_pre_candidate_with_a_majority_of_pre_votes_starts_a_real_election()
    {
        var host = new Host(WithPreVote(), restored: Persisted(2, 0));
        host.Node.Campaign();
        host.Drain();
        Assert.Equal((Role.PreCandidate, 2L), (host.Node.Role, host.Node.Term));

        var sent = host.Step(new RequestVoteResponse("n2", "n1", 3, PreVote: true, Granted: true));

        Assert.Equal((Role.Candidate, 3L, "n1"), (host.Node.Role, host.Node.Term, host.Node.VotedFor));
        Assert.All(sent.Cast<RequestVote>(), r => Assert.Equal((false, 3L), (r.PreVote, r.Term)));
    }

    // §9.6 with §5.4.1: a pre-vote is refused to a log that a real vote would refuse; answering it,
    // refused or granted, changes neither the voter's term nor its vote.
    [Theory]
    [InlineData(5, 1, false)]
    [InlineData(1, 2, false)]
    [InlineData(2, 2, true)]
    [InlineData(1, 3, true)]
    public void A_pre_vote_is_granted_only_to_an_up_to_date_log_and_changes_nothing(long lastIndex, long lastTerm, bool granted)
    {
        var voter = new Host(WithPreVote(), restored: new PersistentState(new HardState(2, "n3", 0), LogWithTerms(1, 2)));
        voter.Tick(ElectionTicks); // past the quiet period after a start (see the test below); its own campaign is lost

        var sent = voter.Step(Vote("n2", "n1", 3, lastIndex, lastTerm, preVote: true));

        var answer = Assert.IsType<RequestVoteResponse>(Assert.Single(sent));
        Assert.Equal((true, granted), (answer.PreVote, answer.Granted));
        Assert.Equal((2L, "n3"), (voter.Node.Term, voter.Node.VotedFor));
        Assert.DoesNotContain(voter.Readies, r => r.HardState is not null);
    }

    // §6.4.1 leases count on voters that heard from the leader not voting for anyone else within an
    // election timeout. A node that restarts forgets whether it heard from one, so for an election
    // timeout after it starts it behaves as if it had: it ignores (pre-)vote requests.
    [Fact]
    public void A_node_that_started_less_than_an_election_timeout_ago_ignores_vote_requests()
    {
        var voter = new Host(WithPreVote(), restored: new PersistentState(new HardState(2, null, 0), LogWithTerms(1, 2)));

        Assert.Empty(voter.Step(Vote("n2", "n1", 3, 2, 2, preVote: true)));
        Assert.Empty(voter.Step(Vote("n2", "n1", 3, 2, 2, preVote: false)));
        Assert.Equal((2L, (string?)null), (voter.Node.Term, voter.Node.VotedFor));

        voter.Tick(ElectionTicks);
        var answer = Assert.IsType<RequestVoteResponse>(Assert.Single(voter.Step(Vote("n2", "n1", 3, 2, 2, preVote: false))));
        Assert.True(answer.Granted);
    }

    // §6.2: "a leader steps down if an election timeout elapses without a successful round of heartbeats
    // to a majority of its cluster", so clients of a cut-off leader can find the real one.
    [Fact]
    public void A_leader_that_hears_from_no_quorum_for_an_election_timeout_steps_down()
    {
        var host = new Host(WithPreVote());
        host.BecomeLeader();

        host.Tick(ElectionTicks - 1);
        Assert.Equal(Role.Leader, host.Node.Role);
        host.Tick(ElectionTicks + 1);

        Assert.Equal((Role.Follower, 1L, (string?)null), (host.Node.Role, host.Node.Term, host.Node.Leader));
    }

    [Fact]
    public void A_leader_that_hears_from_a_quorum_stays_leader()
    {
        var host = new Host(WithPreVote());
        host.BecomeLeader();
        for (var tick = 0; tick < 10 * ElectionTicks; tick++)
        {
            // Only n2 answers: with the leader, 2 of 3.
            host.StepAll(host.Tick().OfType<AppendEntries>().Where(a => a.To == "n2").Select(Ack));
        }
        Assert.Equal((Role.Leader, 1L), (host.Node.Role, host.Node.Term));
    }

    // §6.2 (and §4.2.3): "if a server receives a RequestVote request within the minimum election timeout
    // of hearing from a current leader, it does not update its term or grant its vote."
    [Fact]
    public void A_follower_that_recently_heard_from_the_leader_ignores_vote_requests()
    {
        var host = new Host(WithPreVote());
        host.Step(Heartbeat("n2", "n1", 1));
        host.Tick(ElectionTicks - 1);

        var sent = host.Step(Vote("n3", "n1", 2, 10, 1));

        Assert.Empty(sent);
        Assert.Equal((1L, (string?)null, "n2"), (host.Node.Term, host.Node.VotedFor, host.Node.Leader));

        // Once the lease has run out (no heartbeat for an election timeout), the request is heard.
        host.Tick(1);
        var later = host.Step(Vote("n3", "n1", 2, 10, 1));
        Assert.True(Assert.IsType<RequestVoteResponse>(Assert.Single(later)).Granted);
        Assert.Equal((2L, "n3"), (host.Node.Term, host.Node.VotedFor));
    }
}
