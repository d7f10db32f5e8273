using RaftOrleans.Raft.Messages;
using static RaftOrleans.Raft.Tests.Paper.PaperKit;

namespace RaftOrleans.Raft.Tests.Paper;

/// <summary>The leader's flow control and its answers to clients (§6 of the dissertation, §10.2.1 on
/// pipelining): what a leader may have in flight, and when it refuses a proposal.</summary>
public sealed class FlowControlTests
{
    // Pipelining: once a follower's log is known to match (Replicate state), the leader streams appends
    // without waiting for each answer, but no more than MaxInflightAppends; a follower whose match is
    // unknown (Probe state) gets one append at a time.
    [Fact]
    public void A_replicating_follower_gets_up_to_max_inflight_appends_then_the_leader_pauses()
    {
        var host = new Host(Options() with { MaxInflightAppends = 3, MaxEntriesPerAppend = 1 });
        var noOps = host.BecomeLeader().OfType<AppendEntries>().ToDictionary(a => a.To);
        host.Step(Ack(noOps["n2"])); // n2 replicates; n3 never answers and stays in Probe

        for (var i = 0; i < 5; i++) host.Propose($"c{i}");
        var sent = host.Drain().Cast<AppendEntries>().ToList();

        Assert.Equal([2L, 3, 4], sent.Where(a => a.To == "n2").Select(a => a.Entries.Single().Index));
        Assert.DoesNotContain(sent, a => a.To == "n3");
        Assert.Equal((3, "replicate"), (host.Node.Status().Followers["n2"].InflightAppends, host.Node.Status().Followers["n2"].State));

        // Each acknowledgement frees one slot.
        var next = host.Step(Ack(sent[0])).Cast<AppendEntries>().ToList();
        Assert.Equal([5L], next.Where(a => a.To == "n2").Select(a => a.Entries.Single().Index));
        next = host.Step(Ack(sent[2])).Cast<AppendEntries>().ToList(); // a cumulative ack frees two
        Assert.Equal([6L], next.Where(a => a.To == "n2").Select(a => a.Entries.Single().Index));
        Assert.Equal(2, host.Node.Status().Followers["n2"].InflightAppends);

        // The probed follower gets exactly one append per heartbeat, each a retry of the same probe.
        for (var tick = 0; tick < 3; tick++)
        {
            var probes = host.Tick().Cast<AppendEntries>().Where(a => a.To == "n3").ToList();
            Assert.Equal((0L, 1L), (probes.Single().PrevLogIndex, probes.Single().Entries.Single().Index));
        }
    }

    // Pipelining must survive acknowledgements that take a heartbeat interval: the leader falls back to
    // probing (and resends everything from Match + 1) only when appends stay unanswered for several
    // heartbeats after they were sent; a heartbeat that happened before they were sent does not count.
    [Fact]
    public void Appends_answered_within_a_heartbeat_interval_are_not_resent()
    {
        var host = new Host(Options());
        host.BecomeLeaderWithAllFollowersCaughtUp();

        host.Propose("x");
        var first = host.Tick(); // the heartbeat fires before the Ready sends the new entry
        Assert.Contains(first.OfType<AppendEntries>(), a => a.To == "n2" && a.Entries.Count == 1);
        var second = host.Tick(); // one heartbeat after the send, the acknowledgement is still on its way

        Assert.DoesNotContain(second.OfType<AppendEntries>(), a => a.Entries.Count > 0);
        Assert.Equal("replicate", host.Node.Status().Followers["n2"].State);
    }

    // Flow control on memory: a leader holding MaxUncommittedBytes of uncommitted entries refuses new
    // proposals (Overloaded) until commits release them. A lone proposal is always accepted, so an
    // entry larger than the limit cannot be refused forever.
    [Fact]
    public void A_leader_over_max_uncommitted_bytes_refuses_proposals_until_entries_commit()
    {
        var host = new Host(Options() with { MaxUncommittedBytes = 100 });
        host.BecomeLeaderWithAllFollowersCaughtUp();
        var fifty = new string('x', 50); // 74 bytes counted

        Assert.True(host.Propose(fifty).IsAccepted);
        var refused = host.Propose(fifty);
        Assert.Equal(ProposeOutcome.Overloaded, refused.Outcome);
        Assert.Equal(2, host.Node.LastLogIndex);

        host.StepAll(host.Drain().OfType<AppendEntries>().Select(Ack));
        Assert.Equal(2, host.Node.CommitIndex);
        Assert.True(host.Propose(fifty).IsAccepted);
        host.StepAll(host.Drain().OfType<AppendEntries>().Select(Ack));

        Assert.True(host.Propose(new string('y', 1000)).IsAccepted);
        Assert.Equal(ProposeOutcome.Overloaded, host.Propose("z").Outcome);
    }

    // §8: clients that contact a follower are redirected: the follower refuses and names the leader it
    // knows, if any.
    [Fact]
    public void A_proposal_to_a_non_leader_is_refused_with_the_leader_hint()
    {
        var host = new Host(Options());
        Assert.Equal(ProposeResult.Refused(ProposeOutcome.NotLeader, null), host.Propose("a"));

        host.Step(Heartbeat("n2", "n1", 1));
        Assert.Equal(ProposeResult.Refused(ProposeOutcome.NotLeader, "n2"), host.Propose("a"));

        host.Node.Campaign();
        host.Drain();
        Assert.Equal(ProposeResult.Refused(ProposeOutcome.NotLeader, null), host.Propose("a"));
        Assert.Equal(0, host.Node.LastLogIndex);
    }
}
