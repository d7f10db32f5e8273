using RaftOrleans.Raft.Messages;
using static RaftOrleans.Raft.Tests.Paper.PaperKit;

namespace RaftOrleans.Raft.Tests.Paper;

/// <summary>§5.3 log replication: what the leader sends, and Figure 2's AppendEntries receiver rules.</summary>
public sealed class ReplicationTests
{
    // Figure 2, Rules for Servers, Leaders: "Upon election: send initial empty AppendEntries RPCs
    // (heartbeat) to each server; repeat during idle periods to prevent election timeouts (§5.2)."
    [Fact]
    public void A_leader_sends_a_heartbeat_to_every_follower_every_heartbeat_ticks()
    {
        var host = new Host(Options() with { HeartbeatTicks = 3 });
        host.BecomeLeaderWithAllFollowersCaughtUp();

        for (var tick = 1; tick <= 12; tick++)
        {
            var sent = host.Tick();
            if (tick % 3 != 0)
            {
                Assert.Empty(sent);
                continue;
            }
            var heartbeats = sent.Cast<AppendEntries>().ToList();
            Assert.Equal(["n2", "n3"], heartbeats.Select(h => h.To).Order());
            // Empty, passing the consistency check at the follower's match, carrying the commit index
            // so followers learn it (§5.3).
            Assert.All(heartbeats, h => Assert.Equal((0, 1L, 1L, 1L), (h.Entries.Count, h.PrevLogIndex, h.PrevLogTerm, h.LeaderCommit)));
        }
    }

    // §5.4.2 (end) and §8: a new leader commits an entry of its own term at once, so it appends a
    // no-op and replicates it with its first AppendEntries.
    [Fact]
    public void A_new_leader_appends_a_no_op_of_its_term_and_replicates_it()
    {
        var host = new Host(Options(), restored: Persisted(1, 0, LogWithTerms(1, 1)));

        var appends = host.BecomeLeader().OfType<AppendEntries>().ToList();

        Assert.Equal(2, host.Node.Term);
        var noOp = host.Node.EntryAt(3);
        Assert.Equal((EntryKind.NoOp, 2L), (noOp.Kind, noOp.Term));
        Assert.Equal(noOp, host.Log[^1]); // persisted before the appends leave
        Assert.Equal(2, appends.Count);
        Assert.All(appends, a => Assert.Equal((2L, 1L, noOp), (a.PrevLogIndex, a.PrevLogTerm, a.Entries.Single())));
    }

    // §5.3: "The leader appends the command to its log as a new entry, then issues AppendEntries RPCs in
    // parallel to each of the other servers to replicate the entry": in the very next Ready, not at
    // the next heartbeat.
    [Fact]
    public void A_leader_replicates_a_proposal_without_waiting_for_a_heartbeat()
    {
        var host = new Host(Options());
        host.BecomeLeaderWithAllFollowersCaughtUp();

        var result = host.Propose("x");
        var appends = host.Drain().OfType<AppendEntries>().ToList();

        Assert.True(result.IsAccepted);
        Assert.Equal((2L, 1L), (result.Index, result.Term));
        Assert.Equal(["n2", "n3"], appends.Select(a => a.To).Order());
        Assert.All(appends, a => Assert.Equal("x", Text(a.Entries.Single())));
        Assert.Equal("x", Text(host.Log[^1]));
    }

    // §5.3 / §10.2.1 (batching): proposals made together travel together: one storage write and one
    // AppendEntries per follower for the whole batch.
    [Fact]
    public void Many_proposals_travel_in_one_append_per_follower_and_one_write()
    {
        var host = new Host(Options());
        host.BecomeLeaderWithAllFollowersCaughtUp();
        var readiesBefore = host.Readies.Count;

        for (var i = 0; i < 20; i++) Assert.True(host.Propose($"c{i}").IsAccepted);
        var appends = host.Drain().OfType<AppendEntries>().ToList();

        Assert.Equal(2, appends.Count);
        Assert.All(appends, a => Assert.Equal(Enumerable.Range(2, 20).Select(i => (long)i), a.Entries.Select(e => e.Index)));
        var writes = host.Readies.Skip(readiesBefore).Where(r => r.MustPersist).ToList();
        Assert.Equal(20, Assert.Single(writes).Entries.Count);
    }

    // Figure 2, AppendEntries RPC: "If followers crash or run slowly, or if network packets are lost,
    // the leader retries AppendEntries RPCs indefinitely until all followers eventually store all log
    // entries" (§5.3).
    [Fact]
    public void A_leader_retries_lost_appends_until_the_follower_stores_them()
    {
        var host = new Host(Options());
        host.BecomeLeaderWithAllFollowersCaughtUp();
        host.Propose("x");
        host.Drain(); // every append of "x" is lost

        var retries = 0;
        for (var tick = 0; tick < 12; tick++)
        {
            var sent = host.Tick().OfType<AppendEntries>().Where(a => a.To == "n2").ToList();
            retries += sent.Count(a => a.Entries.Any(e => e.Index == 2));
        }
        Assert.True(retries >= 3, $"the lost entry was resent {retries} times in 12 heartbeats");

        // Once one follower stores it, the entry commits (2 of 3).
        host.Step(new AppendEntriesResponse("n2", "n1", 1, true, 2, 0, 0, 0));
        Assert.Equal(2, host.Node.CommitIndex);
    }

    private static Host FollowerWithLog(params long[] terms) =>
        new(Options(), restored: Persisted(terms.Length == 0 ? 0 : terms.Max(), 0, LogWithTerms(terms)));

    // Figure 2, AppendEntries receiver rule 2: "Reply false if log doesn't contain an entry at
    // prevLogIndex whose term matches prevLogTerm (§5.3)." The refusal says where to back up: the term
    // held at prevLogIndex (0 if none) and the first index of that term.
    [Theory]
    [InlineData(4, 3, 2, 3)] // wrong term at the end
    [InlineData(2, 2, 1, 1)] // wrong term in the middle
    [InlineData(5, 2, 0, 5)] // one past our end
    [InlineData(9, 3, 0, 5)] // far past our end
    public void A_follower_rejects_an_append_whose_previous_entry_it_does_not_hold(long prevIndex, long prevTerm, long conflictTerm,
        long conflictIndex)
    {
        var host = FollowerWithLog(1, 1, 2, 2);

        var sent = host.Step(Append("n3", "n1", 3, prevIndex, prevTerm, 0, Entry(prevIndex + 1, 3, "new")));

        var answer = Assert.IsType<AppendEntriesResponse>(Assert.Single(sent));
        Assert.False(answer.Success);
        Assert.Equal((prevIndex, conflictTerm, conflictIndex), (answer.RejectedIndex, answer.ConflictTerm, answer.ConflictIndex));
        Assert.Equal([1L, 1, 2, 2], host.Log.Select(e => e.Term));
        Assert.Equal(4, host.Node.LastLogIndex);
        Assert.Equal((3L, "n3"), (host.Node.Term, host.Node.Leader)); // it is still the legitimate leader
    }

    // Receiver rules 3 and 4: "If an existing entry conflicts with a new one (same index but different
    // terms), delete the existing entry and all that follow it. Append any new entries not already in
    // the log." Entries that agree are kept and not rewritten.
    [Fact]
    public void A_follower_deletes_from_the_first_conflicting_entry_and_keeps_the_agreeing_prefix()
    {
        var host = FollowerWithLog(1, 1, 2, 2);
        var writesBefore = host.Readies.Count(r => r.MustPersist);

        var sent = host.Step(Append("n3", "n1", 3, 1, 1, 0, Entry(2, 1, "e2t1"), Entry(3, 3, "x")));

        Assert.Equal([1L, 1, 3], host.Log.Select(e => e.Term));
        Assert.Equal("x", Text(host.Log[2]));
        Assert.Equal(3, host.Node.LastLogIndex);
        var write = Assert.Single(host.Readies.Where(r => r.MustPersist).Skip(writesBefore));
        Assert.Equal([3L], write.Entries.Select(e => e.Index)); // only the replaced suffix is written
        var ack = Assert.IsType<AppendEntriesResponse>(Assert.Single(sent));
        Assert.Equal((true, 3L), (ack.Success, ack.MatchIndex));
    }

    // Receiver rule 3 applies only to a conflict: an append whose entries we already hold must not
    // delete what follows them (it may be a late duplicate of an earlier append, and the entries
    // after it may already be acknowledged and counted towards a commit).
    [Fact]
    public void A_follower_never_truncates_on_a_stale_or_duplicate_append()
    {
        var host = FollowerWithLog(1, 1);
        var first = Append("n2", "n1", 3, 2, 1, 0, Entry(3, 3, "a"));
        var second = Append("n2", "n1", 3, 3, 3, 0, Entry(4, 3, "b"), Entry(5, 3, "c"));
        host.Step(first);
        host.Step(second);
        var writesBefore = host.Readies.Count(r => r.Entries.Count > 0);

        var late = host.Step(first);
        host.Step(Append("n2", "n1", 3, 0, 0, 0, Entry(1, 1, "e1t1")));
        host.Step(Heartbeat("n2", "n1", 3, 2, 1));

        Assert.Equal(5, host.Node.LastLogIndex);
        Assert.Equal(["e1t1", "e2t1", "a", "b", "c"], host.Log.Select(Text));
        Assert.Equal(writesBefore, host.Readies.Count(r => r.Entries.Count > 0));
        Assert.True(Assert.IsType<AppendEntriesResponse>(Assert.Single(late)).Success);
    }

    // Receiver rule 5: "If leaderCommit > commitIndex, set commitIndex = min(leaderCommit, index of last
    // new entry)": only what this append proved to match the leader may be committed.
    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 2)] // our entry 3 was not covered by this append: it may differ from the leader's
    [InlineData(9, 2)]
    public void A_follower_commits_up_to_the_leader_commit_but_not_past_the_last_new_entry(long leaderCommit, long expected)
    {
        var host = FollowerWithLog(1, 1, 1);

        host.Step(Append("n2", "n1", 1, 1, 1, leaderCommit, Entry(2, 1, "e2t1")));

        Assert.Equal(expected, host.Node.CommitIndex);
        Assert.Equal(expected, host.Hard.Commit);
        Assert.Equal(Enumerable.Range(1, (int)expected).Select(i => (long)i), host.Applied.Select(e => e.Index));
    }

    // Rule 5 through heartbeats: followers learn the commit index from later appends, and a smaller
    // leaderCommit (a late message) never moves it back.
    [Fact]
    public void A_follower_learns_the_commit_index_from_heartbeats_and_never_moves_it_back()
    {
        var host = FollowerWithLog(1, 1, 1);
        host.Step(Heartbeat("n2", "n1", 1, 3, 1, leaderCommit: 3));
        Assert.Equal(3, host.Node.CommitIndex);
        host.Step(Heartbeat("n2", "n1", 1, 3, 1, leaderCommit: 1));
        Assert.Equal(3, host.Node.CommitIndex);
        Assert.Equal([1L, 2, 3], host.Applied.Select(e => e.Index));
    }

    // §5.3, end: "the follower can include the term of the conflicting entry and the first index it
    // stores for that term. With this information, the leader can decrement nextIndex to bypass all of
    // the conflicting entries in that term; one AppendEntries RPC will be required for each term with
    // conflicting entries, rather than one RPC per entry." Logs are Figure 7's leader and follower (f).
    [Fact]
    public void A_leader_backs_up_over_a_conflicting_log_in_one_round_trip_per_term()
    {
        var leader = new Host(Options(), restored: Persisted(7, 0, LogWithTerms(1, 1, 1, 4, 4, 5, 5, 6, 6, 6)));
        var follower = new Host(Options("n2"), restored: Persisted(3, 0, LogWithTerms(1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3)));
        var toFollower = leader.BecomeLeader().Where(m => m.To == "n2").ToList();
        Assert.Equal(8, leader.Node.Term);

        var rejections = 0;
        for (var round = 0; toFollower.Count > 0; round++)
        {
            Assert.True(round < 20, "no agreement after 20 round trips");
            var answers = follower.StepAll(toFollower);
            rejections += answers.Cast<AppendEntriesResponse>().Count(a => !a.Success);
            toFollower = leader.StepAll(answers).Where(m => m.To == "n2").ToList();
        }

        // (f) conflicts in terms 2 and 3 (entries 4-11): two refusals, not eight.
        Assert.Equal(2, rejections);
        Assert.Equal(leader.Log.Select(e => (e.Index, e.Term)), follower.Log.Select(e => (e.Index, e.Term)));
        Assert.Equal(11, leader.Node.CommitIndex); // leader + follower = 2 of 3
    }
}
