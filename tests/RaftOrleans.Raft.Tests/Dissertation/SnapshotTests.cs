using RaftOrleans.Simulation;
using static RaftOrleans.Raft.Tests.Dissertation.SimHelpers;

namespace RaftOrleans.Raft.Tests.Dissertation;

/// <summary>Log compaction and InstallSnapshot (paper §7, Figure 13; dissertation chapter 5). The
/// simulator's checker runs after every step, so State Machine Safety across snapshots is checked
/// throughout, through the state digests.</summary>
public sealed class SnapshotTests
{
    [Fact]
    public void Snapshot_basic()
    {
        var cluster = Cluster(3);
        cluster.TakeSnapshots = true;
        cluster.CommitEverywhere(300);
        foreach (var node in cluster.Nodes)
        {
            Assert.NotNull(node.DurableSnapshot);
            Assert.True(node.Raft!.FirstLogIndex > 200, $"{node.Id} did not compact: first index {node.Raft.FirstLogIndex}");
            // The log in memory is bounded by the threshold plus the entries kept behind a snapshot.
            Assert.True(node.Raft.LastLogIndex - node.Raft.FirstLogIndex + 1 <= 40 + 5 + 30);
        }
        Assert.Equal(0, cluster.SnapshotsInstalled); // nobody fell behind, so nobody needed one
    }

    [Fact]
    public void Snapshot_install()
    {
        var cluster = Cluster(3);
        cluster.TakeSnapshots = true;
        var leader = cluster.ElectLeader();
        var lagging = cluster.Nodes.First(n => n != leader).Id;
        cluster.Isolate(lagging);
        cluster.CommitEverywhere(200);
        Assert.True(leader.Raft!.FirstLogIndex > cluster[lagging].Raft!.LastLogIndex + 1,
            "the leader should have compacted entries the lagging follower lacks");
        cluster.Heal();
        var target = cluster.CommitEverywhere(5, prefix: "after");
        Assert.True(cluster[lagging].Raft!.AppliedIndex >= target);
        Assert.True(cluster.MessagesByType.GetValueOrDefault("InstallSnapshot") >= 3,
            "a 200-byte snapshot in 64-byte chunks takes at least 4 messages");
        Assert.NotNull(cluster[lagging].DurableSnapshot);
    }

    [Fact]
    public void Snapshot_install_unreliable()
    {
        for (var seed = 1; seed <= 10; seed++)
        {
            var cluster = Cluster(3, seed);
            cluster.TakeSnapshots = true;
            var leader = cluster.ElectLeader();
            var lagging = cluster.Nodes.First(n => n != leader).Id;
            cluster.Isolate(lagging);
            cluster.CommitEverywhere(150);
            cluster.Heal();
            cluster.Faults = new NetworkFaults { DropRate = 0.2, DuplicateRate = 0.1, MaxDelayTicks = 5 };
            var target = cluster.CommitEverywhere(5, prefix: "after", maxTicks: 5000);
            Assert.True(cluster[lagging].Raft!.AppliedIndex >= target, $"seed {seed}: {Describe(cluster)}");
        }
    }

    [Fact]
    public void Snapshot_install_crash()
    {
        for (var seed = 1; seed <= 10; seed++)
        {
            var cluster = Cluster(5, seed);
            cluster.TakeSnapshots = true;
            var leader = cluster.ElectLeader();
            var lagging = cluster.Nodes.First(n => n != leader).Id;
            cluster.Crash(lagging);
            cluster.CommitEverywhere(150);
            cluster.Restart(lagging);
            // Crash the follower in the middle of receiving the snapshot, then the leader too.
            cluster.RunUntil(() => cluster.MessagesByType.GetValueOrDefault("InstallSnapshot") > 1, 200);
            cluster.Crash(lagging);
            cluster.Run(5);
            cluster.Restart(lagging);
            cluster.Crash(leader.Id);
            cluster.Run(30);
            cluster.Restart(leader.Id);
            var target = cluster.CommitEverywhere(5, prefix: "after", maxTicks: 5000);
            Assert.True(cluster[lagging].Raft!.AppliedIndex >= target, $"seed {seed}: {Describe(cluster)}");
        }
    }

    [Fact]
    public void Snapshot_all_crash()
    {
        var cluster = Cluster(3);
        cluster.TakeSnapshots = true;
        for (var round = 0; round < 5; round++)
        {
            cluster.CommitEverywhere(60, prefix: $"r{round}-");
            var commitBefore = cluster.Nodes.ToDictionary(n => n.Id, n => n.DurableHardState.Commit);
            foreach (var node in cluster.Nodes) cluster.Crash(node.Id);
            foreach (var node in cluster.Nodes) cluster.Restart(node.Id);
            foreach (var node in cluster.Nodes)
            {
                // Restarted from snapshot + log: the commit index never goes back, and the state
                // machine resumes from the snapshot, replaying only the entries after it.
                Assert.True(node.Raft!.CommitIndex >= commitBefore[node.Id]);
                Assert.True(node.StateMachine.AppliedIndex >= node.DurableSnapshot!.Index);
                Assert.True(node.Applied.Count == 0 || node.Applied[0].Index == node.DurableSnapshot.Index + 1);
            }
        }
    }

    [Fact]
    public void Snapshot_init()
    {
        var cluster = Cluster(3);
        cluster.TakeSnapshots = true;
        cluster.CommitEverywhere(100);
        var node = cluster.Nodes.First(n => n.Raft!.Role != Role.Leader);
        cluster.Crash(node.Id);
        cluster.Restart(node.Id);
        Assert.True(node.Raft!.FirstLogIndex > 1, "a restarted node starts from its snapshot");
        var snapshotAtRestart = node.DurableSnapshot!.Index;
        cluster.CommitEverywhere(100, prefix: "more");
        Assert.True(node.DurableSnapshot!.Index > snapshotAtRestart, "it keeps taking snapshots after a restart from one");
        cluster.Crash(node.Id);
        cluster.Restart(node.Id);
        cluster.CommitEverywhere(5, prefix: "last");
    }

    [Fact]
    public void Slow_follower_can_only_catch_up_by_snapshot()
    {
        var cluster = Cluster(3);
        cluster.TakeSnapshots = true;
        var leader = cluster.ElectLeader();
        var slow = cluster.Nodes.First(n => n != leader).Id;
        cluster.BlockOneWay(leader.Id, slow); // it hears nothing from the leader...
        cluster.CommitEverywhere(120);
        var leaderFirstIndex = leader.Raft!.FirstLogIndex;
        Assert.True(cluster[slow].Raft!.LastLogIndex < leaderFirstIndex - 1, "the entries it lacks were compacted away");
        cluster.Heal();
        cluster.CommitEverywhere(1, prefix: "x");
        Assert.True(cluster.MessagesByType.GetValueOrDefault("InstallSnapshot") > 0);
        Assert.True(cluster[slow].DurableSnapshot!.Index >= leaderFirstIndex - 1, "...so it caught up from the leader's snapshot");
    }

    [Fact]
    public void Log_in_memory_stays_bounded_across_a_million_entries()
    {
        const long threshold = 10_000;
        var bench = new CoreBenchmark(3, commandBytes: 16, snapshots: true, snapshotThresholdEntries: threshold);
        var committed = bench.Run(batches: 1000, batchSize: 1000);
        Assert.True(committed >= 1_000_000);
        foreach (var node in bench.Nodes)
        {
            var held = node.LastLogIndex - node.FirstLogIndex + 1;
            // Never more than one threshold of entries since the last snapshot, plus the trailing entries
            // kept behind it and one batch in flight.
            Assert.True(held <= threshold + 1000 + 1000, $"{node.Id} holds {held} entries");
        }
    }
}
