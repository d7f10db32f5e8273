using RaftOrleans.Raft.Messages;
using static RaftOrleans.Raft.Tests.Paper.PaperKit;

namespace RaftOrleans.Raft.Tests.Paper;

/// <summary>§5.1 and Figure 2, "Rules for all servers": terms act as a logical clock.</summary>
public sealed class TermTests
{
    public static TheoryData<Role, string> RolesAndMessages()
    {
        var data = new TheoryData<Role, string>();
        foreach (var role in new[] { Role.Follower, Role.Candidate, Role.Leader })
        foreach (var message in new[] { "AppendEntries", "AppendEntriesResponse", "RequestVote", "RequestVoteResponse" })
            data.Add(role, message);
        return data;
    }

    private static Host HostIn(Role role)
    {
        var host = new Host(Options());
        if (role == Role.Candidate) host.Node.Campaign();
        if (role == Role.Leader) host.BecomeLeader();
        host.Drain();
        Assert.Equal(role, host.Node.Role);
        return host;
    }

    private static RaftMessage MessageOfTerm(string kind, long term) => kind switch
    {
        "AppendEntries" => Heartbeat("n2", "n1", term),
        "AppendEntriesResponse" => new AppendEntriesResponse("n2", "n1", term, false, 0, 0, 0, 0),
        // A candidate with a shorter log than ours: we must not vote for it, but its term still counts.
        "RequestVote" => Vote("n2", "n1", term, lastIndex: 0, lastTerm: 0),
        "RequestVoteResponse" => new RequestVoteResponse("n2", "n1", term, PreVote: false, Granted: false),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    // §5.1: "If a server's current term is smaller than the other's, it updates its current term to the
    // larger value. If a candidate or leader discovers that its term is out of date, it immediately
    // reverts to follower state." Figure 2: "If RPC request or response contains term T > currentTerm:
    // set currentTerm = T, convert to follower."
    [Theory]
    [MemberData(nameof(RolesAndMessages))]
    public void Any_server_seeing_a_higher_term_adopts_it_and_becomes_follower(Role role, string kind)
    {
        var host = HostIn(role);
        var before = host.Node.Term;

        host.Step(MessageOfTerm(kind, before + 5));

        Assert.Equal(Role.Follower, host.Node.Role);
        Assert.Equal(before + 5, host.Node.Term);
        Assert.Equal(before + 5, host.Hard.Term); // durable before anything depending on it is sent
        // The vote of the old term does not carry over (a RequestVote may earn a new one if the log allows).
        if (kind != "RequestVote") Assert.Null(host.Node.VotedFor);
        // Only an AppendEntries names the leader of the new term.
        Assert.Equal(kind == "AppendEntries" ? "n2" : null, host.Node.Leader);
    }

    // §5.1: "If a server receives a request with a stale term number, it rejects the request."
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_stale_append_entries_is_rejected_and_changes_nothing(bool preVoteAndCheckQuorum)
    {
        var options = Options() with { PreVote = preVoteAndCheckQuorum, CheckQuorum = preVoteAndCheckQuorum };
        var host = new Host(options, restored: Persisted(3, 0, LogWithTerms(1, 2)));

        var sent = host.Step(Append("n2", "n1", 2, 2, 2, 2, Entry(3, 2, "stale")));

        Assert.Equal(3, host.Node.Term);
        Assert.Null(host.Node.Leader);
        Assert.Equal(2, host.Node.LastLogIndex);
        Assert.Equal(0, host.Node.CommitIndex);
        Assert.Equal(2, host.Log.Count);
        if (preVoteAndCheckQuorum)
        {
            // Answered with a refusal carrying our newer term, so a leader that kept its old term while
            // we moved on (possible with pre-vote and check-quorum) steps down and lets us rejoin.
            var answer = Assert.IsType<AppendEntriesResponse>(Assert.Single(sent));
            Assert.False(answer.Success);
            Assert.Equal(3, answer.Term);
        }
        else
        {
            Assert.Empty(sent); // dropped: its sender will hear our term from our own messages
        }
    }

    // §5.1 stale requests; §5.2 a vote is granted only to a candidate whose term is at least ours.
    [Fact]
    public void A_stale_request_vote_is_not_granted()
    {
        var host = new Host(Options(), restored: Persisted(3, 0));

        var sent = host.Step(Vote("n2", "n1", 2, lastIndex: 10, lastTerm: 2));

        Assert.DoesNotContain(sent.OfType<RequestVoteResponse>(), r => r.Granted);
        Assert.Null(host.Node.VotedFor);
        Assert.Equal(3, host.Node.Term);
    }

    // §5.1: responses of an older term are stale too; a leader must not count them.
    [Fact]
    public void A_leader_ignores_a_stale_term_acknowledgement()
    {
        var host = new Host(Options(), restored: Persisted(3, 0));
        var appends = host.BecomeLeader().OfType<AppendEntries>().ToList();
        Assert.Equal(4, host.Node.Term);

        var toN2 = appends.Single(a => a.To == "n2");
        host.Step(Ack(toN2) with { Term = 3 });

        Assert.Equal(Role.Leader, host.Node.Role);
        Assert.Equal(0, host.Node.Status().Followers["n2"].MatchIndex);
        Assert.Equal(0, host.Node.CommitIndex);
    }
}
