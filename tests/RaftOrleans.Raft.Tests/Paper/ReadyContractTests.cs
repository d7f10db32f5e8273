using RaftOrleans.Raft.Messages;
using static RaftOrleans.Raft.Tests.Paper.PaperKit;

namespace RaftOrleans.Raft.Tests.Paper;

/// <summary>
/// Figure 2, "Persistent state on all servers (updated on stable storage before responding to RPCs)",
/// as the Ready contract expresses it: a message that promises durable state travels in the same Ready
/// as that state, which the host writes before sending; and a restarted node resumes from it.
/// </summary>
public sealed class ReadyContractTests
{
    // Figure 2: votedFor and currentTerm are durable before the vote is granted, so a crash right after
    // cannot make the server forget it voted and vote again in the same term.
    [Fact]
    public void A_vote_grant_travels_in_the_ready_that_persists_the_vote()
    {
        var node = new RaftNode(Options(), new Random(1));
        node.Step(Vote("n2", "n1", 7, 0, 0));

        var ready = node.GetReady();

        var grant = Assert.IsType<RequestVoteResponse>(Assert.Single(ready.Messages));
        Assert.True(grant.Granted);
        Assert.Equal(new HardState(7, "n2", 0), ready.HardState);
        Assert.True(ready.MustPersist);
        node.Advance(ready);
        Assert.False(node.HasReady); // nothing is handed out twice
    }

    // A candidate's own vote, too, is durable before it asks for others.
    [Fact]
    public void Vote_requests_travel_in_the_ready_that_persists_the_candidates_own_vote()
    {
        var node = new RaftNode(Options(), new Random(1));
        node.Campaign();

        var ready = node.GetReady();

        Assert.Equal(2, ready.Messages.OfType<RequestVote>().Count());
        Assert.Equal(new HardState(1, "n1", 0), ready.HardState);
    }

    // §5.3: an acknowledgement tells the leader the entries are stored, and the leader may count them
    // towards a commit; so they must be durable before the acknowledgement leaves.
    [Fact]
    public void An_append_acknowledgement_travels_in_the_ready_that_persists_the_entries()
    {
        var node = new RaftNode(Options(), new Random(1));
        node.Step(Append("n2", "n1", 1, 0, 0, 0, Entry(1, 1, "a"), Entry(2, 1, "b")));

        var ready = node.GetReady();

        var ack = Assert.IsType<AppendEntriesResponse>(Assert.Single(ready.Messages));
        Assert.Equal((true, 2L), (ack.Success, ack.MatchIndex));
        Assert.Equal([1L, 2], ready.Entries.Select(e => e.Index));
        Assert.Equal(1, ready.HardState?.Term);
    }

    // §5.3 with the Ready contract: the leader counts itself towards a majority only for entries it has
    // made durable, so even a one-node cluster hands an entry to the state machine only in a Ready
    // after the one that persisted it (otherwise a crash mid-write could lose an applied entry).
    [Fact]
    public void A_leader_counts_its_own_entry_towards_a_commit_only_once_it_is_persisted()
    {
        var node = new RaftNode(Options(voters: 1), new Random(1));
        node.Campaign();
        Assert.Equal(Role.Leader, node.Role);

        var persistNoOp = node.GetReady();
        Assert.Equal([1L], persistNoOp.Entries.Select(e => e.Index));
        Assert.Empty(persistNoOp.CommittedEntries);
        Assert.Equal(0, node.CommitIndex);
        node.Advance(persistNoOp);
        var applyNoOp = node.GetReady();
        Assert.Equal(1, applyNoOp.HardState?.Commit);
        Assert.Equal([1L], applyNoOp.CommittedEntries.Select(e => e.Index));
        node.Advance(applyNoOp);

        node.Propose(Bytes("x"));
        var persist = node.GetReady();
        Assert.Equal("x", Text(Assert.Single(persist.Entries)));
        Assert.Empty(persist.CommittedEntries);
        node.Advance(persist);
        var apply = node.GetReady();
        Assert.Equal("x", Text(Assert.Single(apply.CommittedEntries)));
        node.Advance(apply);
        Assert.Equal(2, node.AppliedIndex);
    }

    // The Ready contract: one Ready in flight; the host queues inputs until Advance, so a Ready's
    // messages never describe state the Ready did not carry.
    [Fact]
    public void Inputs_between_get_ready_and_advance_are_refused()
    {
        var node = new RaftNode(Options(), new Random(1));
        node.Campaign();
        var ready = node.GetReady();

        Assert.False(node.HasReady);
        Assert.Throws<InvalidOperationException>(() => node.Tick());
        Assert.Throws<InvalidOperationException>(() => node.Step(Heartbeat("n2", "n1", 1)));
        Assert.Throws<InvalidOperationException>(() => node.Propose(Bytes("x")));
        Assert.Throws<InvalidOperationException>(() => node.Campaign());
        Assert.Throws<InvalidOperationException>(() => node.GetReady());
        var other = new RaftNode(Options("n2"), new Random(1));
        other.Campaign();
        Assert.Throws<InvalidOperationException>(() => node.Advance(other.GetReady()));

        node.Advance(ready);
        node.Tick(); // accepted again
        Assert.Throws<InvalidOperationException>(() => node.Advance(ready)); // not twice
    }

    [Fact]
    public void A_message_for_another_node_is_refused()
    {
        var node = new RaftNode(Options(), new Random(1));
        Assert.Throws<ArgumentException>(() => node.Step(Heartbeat("n2", "n3", 1)));
    }

    // Figure 2: currentTerm, votedFor and log[] survive a restart; the restarted server honours the vote
    // it gave in its current term and keeps its log.
    [Fact]
    public void A_restarted_node_resumes_its_term_vote_and_log_and_does_not_vote_twice()
    {
        var before = new Host(Options(voters: 5));
        before.Step(Vote("n2", "n1", 5, 0, 0));
        before.Step(Append("n2", "n1", 5, 0, 0, 1, Entry(1, 5, "a"), Entry(2, 5, "b")));

        var after = new Host(Options(voters: 5), seed: 2, restored: before.Persisted);

        Assert.Equal((5L, "n2", 1L), (after.Node.Term, after.Node.VotedFor, after.Node.CommitIndex));
        Assert.Equal((2L, 5L), (after.Node.LastLogIndex, after.Node.LastLogTerm));
        Assert.Equal((Role.Follower, (string?)null), (after.Node.Role, after.Node.Leader));
        Assert.Equal(["a"], after.Applied.Select(Text));
        Assert.False(Granted(after.Step(Vote("n3", "n1", 5, 9, 5))));
        Assert.True(Granted(after.Step(Vote("n2", "n1", 5, 2, 5))));
        Assert.Equal(new HardState(5, "n2", 1), after.Hard);
    }

    // A crash before the Ready was persisted loses what it held: the restarted node did not vote, and
    // (since the grant never left) may vote in that term now.
    [Fact]
    public void A_node_crashing_before_persisting_a_vote_restarts_without_it()
    {
        var node = new RaftNode(Options(), new Random(1));
        node.Step(Vote("n2", "n1", 3, 0, 0));
        _ = node.GetReady(); // crash: neither persisted nor sent

        var restarted = new Host(Options(), restored: PersistentState.Empty);

        Assert.Equal((0L, (string?)null), (restarted.Node.Term, restarted.Node.VotedFor));
        Assert.True(Granted(restarted.Step(Vote("n3", "n1", 3, 0, 0))));
    }

    private static bool Granted(List<RaftMessage> sent) =>
        Assert.IsType<RequestVoteResponse>(Assert.Single(sent)).Granted;
}
