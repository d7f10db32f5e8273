using RaftOrleans.Raft.Messages;
using static RaftOrleans.Raft.Tests.Paper.PaperKit;

namespace RaftOrleans.Raft.Tests.Paper;

/// <summary>When entries become committed (§5.3, §5.4.2) and how they are handed to the state machine.</summary>
public sealed class CommitTests
{
    // §5.3: "A log entry is committed once the leader that created the entry has replicated it on a
    // majority of the servers." Figure 2, Leaders: "If there exists an N such that N > commitIndex, a
    // majority of matchIndex[i] >= N, and log[N].term == currentTerm: set commitIndex = N."
    [Fact]
    public void A_leader_commits_an_entry_once_a_majority_stores_it()
    {
        var host = new Host(Options(voters: 5));
        var noOpAppends = host.BecomeLeader().OfType<AppendEntries>().ToDictionary(a => a.To);

        host.Step(Ack(noOpAppends["n2"]));
        Assert.Equal(0, host.Node.CommitIndex); // 2 of 5
        host.Step(Ack(noOpAppends["n3"]));
        Assert.Equal(1, host.Node.CommitIndex); // 3 of 5

        host.Propose("x");
        var appends = host.Drain().OfType<AppendEntries>().ToDictionary(a => a.To);
        Assert.Equal(["n2", "n3"], appends.Keys.Order()); // n4, n5 are still being probed
        host.Step(Ack(appends["n2"]));
        Assert.Equal(1, host.Node.CommitIndex);
        Assert.DoesNotContain(host.Applied, e => e.Index == 2);
        host.Step(Ack(appends["n3"]));
        Assert.Equal(2, host.Node.CommitIndex);
        Assert.Equal("x", Text(host.Applied[^1]));
    }

    // §5.4.2 and Figure 8: "Raft never commits log entries from previous terms by counting replicas. Only
    // log entries from the leader's current term are committed by counting replicas; once an entry from
    // the current term has been committed in this way, then all prior entries are committed indirectly."
    // This builds Figure 8 (c): S1 leads term 4 with [1@1, 2@2, 3@4]; it brings S2 and S3 up to 2@2, so
    // 2@2 is on a majority and S1 knows it; yet S5, holding 2@3, could still be elected and overwrite it.
    [Fact]
    public void A_leader_never_commits_an_entry_of_an_earlier_term_by_counting_replicas()
    {
        var s1 = new Host(Options(voters: 5) with { MaxEntriesPerAppend = 1 }, restored: Persisted(3, 1, LogWithTerms(1, 2)));
        var appends = s1.BecomeLeader().OfType<AppendEntries>().ToDictionary(a => a.To);
        Assert.Equal(4, s1.Node.Term);
        Assert.Equal([1L, 2, 4], s1.Log.Select(e => e.Term));

        // S2 and S3 hold only [1@1]: they refuse prev 2@2; S1 backs up and sends them 2@2 alone.
        var backUps = new Dictionary<string, AppendEntries>();
        foreach (var follower in new[] { "n2", "n3" })
        {
            var sent = s1.Step(Reject(appends[follower], conflictTerm: 0, conflictIndex: 2));
            backUps[follower] = sent.OfType<AppendEntries>().Single(a => a.To == follower);
            Assert.Equal((1L, 1L, 2L), (backUps[follower].PrevLogIndex, backUps[follower].PrevLogTerm, backUps[follower].Entries.Single().Index));
        }
        var nextAppends = new Dictionary<string, AppendEntries>();
        foreach (var follower in new[] { "n2", "n3" })
            nextAppends[follower] = s1.Step(Ack(backUps[follower])).OfType<AppendEntries>().Single(a => a.To == follower);

        // 2@2 is on S1, S2 and S3, and S1 knows it; it is not committed.
        Assert.Equal(2, s1.Node.Status().Followers["n2"].MatchIndex);
        Assert.Equal(2, s1.Node.Status().Followers["n3"].MatchIndex);
        Assert.Equal(1, s1.Node.CommitIndex);

        // Why: S3 (holding [1@1, 2@2]) would elect S5 (holding [1@1, 2@3]) in term 5, and then replace 2@2.
        var s3 = new Host(Options("n3", voters: 5), restored: new PersistentState(new HardState(4, "n1", 1), LogWithTerms(1, 2)));
        Assert.True(Assert.IsType<RequestVoteResponse>(Assert.Single(s3.Step(Vote("n5", "n3", 5, 2, 3)))).Granted);
        s3.Step(Append("n5", "n3", 5, 1, 1, 0, Entry(2, 3, "e2t3")));
        Assert.Equal([1L, 3], s3.Log.Select(e => e.Term));

        // Once an entry of term 4 is on a majority, it commits, and 2@2 with it.
        Assert.Equal(3, nextAppends["n2"].Entries.Single().Index);
        s1.Step(Ack(nextAppends["n2"]));
        Assert.Equal(1, s1.Node.CommitIndex); // 3@4 on S1 and S2 only
        s1.Step(Ack(nextAppends["n3"]));
        Assert.Equal(3, s1.Node.CommitIndex);
        Assert.Equal([(1L, 1L), (2, 2), (3, 4)], s1.Applied.Select(e => (e.Index, e.Term)));
    }

    // §5.3: "Once a follower learns that a log entry is committed, it applies the entry to its local
    // state machine (in log order)." Ready.CommittedEntries hands each committed entry out once, in
    // order, in batches of at most MaxCommittedEntriesPerReady.
    [Fact]
    public void Committed_entries_are_handed_out_in_order_exactly_once()
    {
        var host = new Host(Options() with { MaxCommittedEntriesPerReady = 3 });
        var entries = Enumerable.Range(1, 10).Select(i => Entry(i, 1, $"c{i}")).ToArray();

        host.Step(Append("n2", "n1", 1, 0, 0, 4, entries[..6]));
        host.Step(Append("n2", "n1", 1, 6, 1, 4, entries[6..]));
        host.Step(Heartbeat("n2", "n1", 1, 10, 1, leaderCommit: 10));
        host.Step(Heartbeat("n2", "n1", 1, 10, 1, leaderCommit: 10));
        host.Tick(3);

        Assert.Equal(entries.Select(e => e.Index), host.Applied.Select(e => e.Index));
        Assert.Equal(entries.Select(Text), host.Applied.Select(Text));
        Assert.All(host.Readies, r => Assert.True(r.CommittedEntries.Count <= 3));
        Assert.Equal(10, host.Node.AppliedIndex);
    }

    // A node restarted with a persisted commit index hands its committed entries to the (empty, rebuilt)
    // state machine again, from the start, each once.
    [Fact]
    public void A_restarted_node_reapplies_its_committed_entries_once()
    {
        var host = new Host(Options(), restored: Persisted(2, 3, LogWithTerms(1, 1, 2, 2)));
        Assert.Equal([1L, 2, 3], host.Applied.Select(e => e.Index));
        host.Tick(5);
        Assert.Equal(3, host.Applied.Count);
    }
}
