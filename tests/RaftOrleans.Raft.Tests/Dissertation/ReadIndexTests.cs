using RaftOrleans.Raft.Messages;
using static RaftOrleans.Raft.Tests.Dissertation.SimHelpers;

namespace RaftOrleans.Raft.Tests.Dissertation;

/// <summary>Linearizable reads (dissertation §6.4): ReadIndex confirmed by a heartbeat round, followers
/// asking the leader, and leases (§6.4.1).</summary>
public sealed class ReadIndexTests
{
    [Fact]
    public void A_deposed_leader_in_a_minority_cannot_serve_a_stale_read()
    {
        // Check-quorum off: the old leader keeps believing it leads, the worst case for stale reads.
        var cluster = Cluster(5, adjust: o => o with { CheckQuorum = false });
        var old = cluster.ElectLeader();
        cluster.CommitEverywhere(5);
        var minority = new[] { old.Id, cluster.Nodes.First(n => n != old).Id };
        cluster.Partition(minority, cluster.NodeIds.Except(minority).ToArray());
        Assert.True(cluster.RunUntil(() => cluster.Nodes.Any(n => n != old && n.Raft!.Role == Role.Leader), 500));
        var fresh = cluster.Nodes.First(n => n != old && n.Raft!.Role == Role.Leader);
        var write = cluster.Propose(fresh.Id, Command("new value"));
        Assert.True(cluster.RunUntil(() => fresh.Raft!.CommitIndex >= write.Index, 100));

        Assert.Equal(Role.Leader, old.Raft!.Role);
        Assert.True(cluster.RequestRead(old.Id));
        cluster.Run(200);
        // The read at the old leader never got a quorum's confirmation, so it was never answered; had it
        // been, the checker would have failed it (its index would miss the new write).
        Assert.Equal(0, cluster.ReadsServed);

        Assert.True(cluster.RequestRead(fresh.Id));
        cluster.Run(10);
        Assert.Equal(1, cluster.ReadsServed);
    }

    [Fact]
    public void A_follower_gets_its_read_index_from_the_leader()
    {
        var cluster = Cluster(3);
        var leader = cluster.ElectLeader();
        var last = cluster.CommitEverywhere(5);
        var follower = cluster.Nodes.First(n => n != leader);
        Assert.True(cluster.RequestRead(follower.Id));
        cluster.Run(10);
        Assert.Equal(1, cluster.ReadsServed);
        Assert.True(cluster.MessagesByType.GetValueOrDefault(nameof(ReadIndexRequest)) >= 1);
        Assert.True(follower.Raft!.AppliedIndex >= last);
    }

    [Fact]
    public void Reads_wait_for_the_new_leaders_first_commit()
    {
        var node = ElectedLeader(SimCluster_Options("n1", ["n1", "n2", "n3"]));
        Assert.True(node.ReadIndex(requestId: 7));
        Assert.Empty(Drain(node).ReadStates); // its no-op is not committed yet: no read index to give
        node.Step(new AppendEntriesResponse("n2", "n1", node.Term, true, node.LastLogIndex, 0, 0, 0, ReadContext: 0));
        var afterCommit = Drain(node);
        Assert.Empty(afterCommit.ReadStates); // committed, but leadership not yet confirmed by a round
        var round = afterCommit.Messages.OfType<AppendEntries>().Max(m => m.ReadContext);
        node.Step(new AppendEntriesResponse("n3", "n1", node.Term, true, node.LastLogIndex, 0, 0, 0, round));
        var answered = Drain(node);
        var read = Assert.Single(answered.ReadStates);
        Assert.Equal(7, read.RequestId);
        Assert.Equal(node.CommitIndex, read.Index);
    }

    [Fact]
    public void Lease_reads_need_no_round_while_the_lease_holds_and_stop_when_it_lapses()
    {
        var cluster = Cluster(3, adjust: o => o with { LeaseReads = true });
        var leader = cluster.ElectLeader();
        cluster.CommitEverywhere(3);
        cluster.Run(4); // a heartbeat round has been acknowledged
        var sentBefore = cluster.MessagesSent;
        Assert.True(cluster.RequestRead(leader.Id));
        Assert.Equal(1, cluster.ReadsServed);
        Assert.Equal(sentBefore, cluster.MessagesSent); // answered from the lease, no messages

        cluster.Isolate(leader.Id);
        cluster.Run(10); // longer than the lease: election timeout less the drift bound
        var servedBefore = cluster.ReadsServed;
        cluster.RequestRead(leader.Id);
        cluster.Run(5);
        Assert.Equal(servedBefore, cluster.ReadsServed);
    }

    [Fact]
    public void A_lease_timed_on_the_hosts_clock_lapses_with_that_clock_whatever_the_ticks_say()
    {
        // A host whose ticks stall (its storage is slow) gives the core a monotonic clock: the lease must
        // end when that clock says, even though not one tick came meanwhile.
        long now = 1_000;
        var options = SimCluster_Options("n1", ["n1", "n2", "n3"]) with
        {
            LeaseReads = true, LeaseClock = () => now, LeaseClockDuration = 100, LeaseForForwardedReads = false,
        };
        var node = ElectedLeader(options);
        node.Step(new AppendEntriesResponse("n2", "n1", node.Term, true, node.LastLogIndex, 0, 0, 0, ReadContext: 0));
        Drain(node);
        Assert.True(node.ReadIndex(requestId: 1));
        var round = Drain(node).Messages.OfType<AppendEntries>().Max(m => m.ReadContext);
        node.Step(new AppendEntriesResponse("n2", "n1", node.Term, true, node.LastLogIndex, 0, 0, 0, round));
        Assert.Equal(1, Assert.Single(Drain(node).ReadStates).RequestId); // the round sent at 1000 confirmed

        now = 1_099;
        Assert.True(node.ReadIndex(requestId: 2));
        Assert.Equal(2, Assert.Single(Drain(node).ReadStates).RequestId); // within the lease: no round
        Assert.True(node.ReadIndex(requestId: 3, allowLease: false));
        Assert.Empty(Drain(node).ReadStates); // a read that did not ask for the lease waits for a round

        now = 1_100;
        Assert.True(node.ReadIndex(requestId: 4));
        Assert.Empty(Drain(node).ReadStates); // the clock says the lease is over, though no tick came
        // A forwarded read never uses the lease when the host offers it only on request.
        now = 1_050;
        node.Step(new ReadIndexRequest("n3", "n1", node.Term, RequestId: 5));
        Assert.DoesNotContain(Drain(node).Messages.OfType<ReadIndexResponse>(), r => r.RequestId == 5);
    }

    private static RaftNode ElectedLeader(RaftOptions options)
    {
        var node = new RaftNode(options, new Random(1));
        node.Campaign();
        Drain(node);
        foreach (var voter in new[] { "n2", "n3" })
            node.Step(new RequestVoteResponse(voter, "n1", node.Term, PreVote: true, Granted: true));
        Drain(node);
        foreach (var voter in new[] { "n2", "n3" })
            node.Step(new RequestVoteResponse(voter, "n1", node.Term, PreVote: false, Granted: true));
        Assert.Equal(Role.Leader, node.Role);
        Drain(node);
        return node;
    }

    private static RaftOptions SimCluster_Options(string id, string[] voters) => Simulation.SimCluster.DefaultOptions(id, voters);

    private static Ready Drain(RaftNode node)
    {
        var ready = node.GetReady();
        node.Advance(ready);
        return ready;
    }
}
