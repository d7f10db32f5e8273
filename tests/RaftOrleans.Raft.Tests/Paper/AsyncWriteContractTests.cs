using RaftOrleans.Raft.Messages;
using static RaftOrleans.Raft.Tests.Paper.PaperKit;

namespace RaftOrleans.Raft.Tests.Paper;

/// <summary>
/// The asynchronous storage contract (dissertation §10.2.1; RaftOptions.AsyncStorageWrites): a Ready's
/// write may still be in flight while the node steps on. Figure 2's rule still holds, only later: what
/// promises durable state leaves once the write is durable, the leader counts itself for a commit only up
/// to what it has made durable, and nothing is applied that this node's own storage does not yet hold.
/// </summary>
public sealed class AsyncWriteContractTests
{
    private static RaftOptions AsyncOptions(string id = "n1", int voters = 3) => Options(id, voters) with { AsyncStorageWrites = true };

    [Fact]
    public void An_acknowledgement_waits_for_the_write_while_the_leaders_appends_leave_at_once()
    {
        var follower = new RaftNode(AsyncOptions(), new Random(1));
        follower.Step(Append("n2", "n1", 1, 0, 0, 0, Entry(1, 1, "a")));

        var ready = follower.GetReady();

        Assert.Empty(ready.ImmediateMessages);
        var ack = Assert.IsType<AppendEntriesResponse>(Assert.Single(ready.MessagesAfterWrite));
        Assert.Equal(1, ack.MatchIndex);
    }

    // Commit means durable on a majority, so a follower could apply an entry its own write still carries.
    // It must not: a snapshot taken of that state survives a crash that loses the write, and the node then
    // restarts with a snapshot whose log does not match the stale entries its disk still holds after it
    // (the simulator found this: "persisted log terms go backwards"). As etcd does with asynchronous
    // writes, committed entries are applied only once they are locally durable.
    [Fact]
    public void A_follower_applies_a_committed_entry_only_once_its_own_write_of_it_is_durable()
    {
        var follower = new RaftNode(AsyncOptions(), new Random(1));
        follower.Step(Append("n2", "n1", 1, 0, 0, leaderCommit: 1, Entry(1, 1, "a")));

        var writing = follower.GetReady();
        Assert.Equal([1L], writing.Entries.Select(e => e.Index));
        Assert.Empty(writing.CommittedEntries);
        follower.AdvanceWhileWriting(writing);
        Assert.False(follower.HasReady); // nothing to do until the write is durable: no empty Readys

        follower.WriteDurable(writing);
        var applying = follower.GetReady();
        Assert.Equal([1L], applying.CommittedEntries.Select(e => e.Index));
    }

    [Fact]
    public void A_leader_counts_itself_towards_a_commit_only_once_its_own_write_is_durable()
    {
        var leader = new RaftNode(AsyncOptions(), new Random(1));
        leader.Campaign();
        var campaign = leader.GetReady();
        leader.AdvanceWhileWriting(campaign);
        leader.WriteDurable(campaign);
        leader.Step(new RequestVoteResponse("n2", "n1", 1, Granted: true, PreVote: false));
        Assert.Equal(Role.Leader, leader.Role);

        var noOp = leader.GetReady();
        var append = noOp.ImmediateMessages.OfType<AppendEntries>().First(m => m.To == "n2");
        Assert.Equal([1L], noOp.Entries.Select(e => e.Index));
        leader.AdvanceWhileWriting(noOp);
        leader.Step(Ack(append));

        Assert.Equal(0, leader.CommitIndex); // n2 holds it, but n2 and a leader whose own write is in flight are not two

        leader.WriteDurable(noOp);
        Assert.Equal(1, leader.CommitIndex);
    }
}
