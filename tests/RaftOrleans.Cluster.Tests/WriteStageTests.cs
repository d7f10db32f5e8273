using System.Diagnostics.Metrics;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.Grains.Metrics;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

/// <summary>The write-stage breakdown's plumbing: what the nodes report in their status (and `bench
/// --breakdown` prints) counts the writes that happened, stage by stage. Counts only, never times.</summary>
public sealed class WriteStageTests
{
    [Fact]
    public async Task Every_applied_write_leaves_one_sample_per_leader_stage_and_the_entries_per_write_add_up()
    {
        const int sequential = 20;
        const int concurrent = 64;
        var storages = new System.Collections.Concurrent.ConcurrentDictionary<string, TestGrainStorage>();
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (node, silo) => TestGrainStorage.Install(silo, storage => storages[node] = storage));
        var leader = await cluster.LeaderAsync();
        await cluster.ProposeAsync(Command("warm-up"));
        await cluster.SettledAsync();
        var before = await cluster.StatusesAsync();

        for (var i = 0; i < sequential; i++)
            Assert.Equal(ClientReplyStatus.Applied, (await cluster.Node(leader).Propose(Command($"s{i}"))).Status);
        await cluster.SettledAsync();
        var afterSequential = await cluster.StatusesAsync();
        Assert.All(afterSequential, s => Assert.Equal(leader, s.Leader)); // the same leader throughout, or the counts mean nothing

        var lead = Stages(afterSequential, before, leader);
        foreach (var stage in new[] { WriteStages.ProposeTotal, WriteStages.ProposeWait, WriteStages.CommitWait, WriteStages.ReplyWait })
            Assert.True(lead[stage.Name].Count == sequential, $"{stage.Name}: {lead[stage.Name].Count} samples for {sequential} writes");
        // One at a time: each write is one entry in one leader write (the commit index rides with the next).
        Assert.Equal(sequential, lead[WriteStages.WriteEntries.Name].Sum);
        Assert.Equal(sequential, lead[WriteStages.WriteEntries.Name].Count);
        foreach (var stage in new[] { WriteStages.WriteTotal, WriteStages.WriteQueue, WriteStages.WriteStorage, WriteStages.WriteResume, WriteStages.WriteRows })
            Assert.Equal(sequential, lead[stage.Name].Count);
        Assert.InRange(lead[WriteStages.RowBytes.Name].Count, sequential, 2 * sequential); // node row, sometimes a segment
        Assert.Equal(lead[WriteStages.RowBytes.Name].Count, lead[WriteStages.RowSerialize.Name].Count);
        // Each write goes to two followers and comes back acknowledged from each.
        Assert.InRange(lead[WriteStages.AppendRoundTrip.Name].Count, sequential, 2 * sequential + 4); // + a few resent
        Assert.True(lead[WriteStages.AckWait.Name].Count >= sequential, $"{lead[WriteStages.AckWait.Name].Count} acknowledgements stepped");
        foreach (var follower in cluster.Nodes.Where(n => n != leader))
        {
            var stages = Stages(afterSequential, before, follower);
            Assert.Equal(sequential, stages[WriteStages.WriteEntries.Name].Sum);
            Assert.Equal(0, stages[WriteStages.ProposeTotal.Name].Count);
            Assert.InRange(stages[WriteStages.AppendTurnaround.Name].Count, 1, stages[WriteStages.AppendWait.Name].Count);
            Assert.True(stages[WriteStages.AppendWait.Name].Count >= sequential, $"{follower} stepped {stages[WriteStages.AppendWait.Name].Count} appends");
        }

        // Many at once: every entry is written once by the leader, in fewer writes than entries. The leader's
        // writes are slowed as a disk's sync would slow them: on a fast, quiet machine a bare SQLite write can
        // end before the next proposal arrives, and then there is nothing to batch (CI once saw 64 writes).
        storages[leader].WriteDelay = TimeSpan.FromMilliseconds(50);
        var replies = await Task.WhenAll(Enumerable.Range(0, concurrent).Select(i => cluster.Node(leader).Propose(Command($"c{i}"))));
        Assert.All(replies, r => Assert.Equal(ClientReplyStatus.Applied, r.Status));
        await cluster.SettledAsync();
        var batched = Stages(await cluster.StatusesAsync(), afterSequential, leader);
        Assert.Equal(concurrent, batched[WriteStages.WriteEntries.Name].Sum);
        Assert.InRange(batched[WriteStages.WriteEntries.Name].Count, 1, concurrent - 1);
        Assert.Equal(concurrent, batched[WriteStages.ProposeTotal.Name].Count);
        Assert.True(batched[WriteStages.WriteEntries.Name].Percentile(1.0) > 1, "no write carried more than one entry");
    }

    [Fact]
    public void A_histogram_read_twice_gives_what_was_recorded_in_between()
    {
        var metrics = Metrics("n1");
        foreach (var value in new[] { 0.5, 1, 2 }) metrics.Record(WriteStages.WriteTotal, value);
        var first = Stage(metrics, WriteStages.WriteTotal);
        foreach (var value in new[] { 10, 20, 30, 40.0 }) metrics.Record(WriteStages.WriteTotal, value);
        var between = Stage(metrics, WriteStages.WriteTotal).Minus(first);

        Assert.Equal(4, between.Count);
        Assert.Equal(100, between.Sum, 6);
        // Within a bucket's width (9%) of the measured value, never of one recorded before the first reading.
        Assert.InRange(between.Percentile(0.25), 10 / 1.1, 10 * 1.1);
        Assert.InRange(between.Percentile(0.5), 20 / 1.1, 20 * 1.1);
        Assert.InRange(between.Percentile(1.0), 40 / 1.1, 40 * 1.1);
        var both = between.Plus(first);
        Assert.Equal(7, both.Count);
        Assert.InRange(both.Percentile(0.1), 0.5 / 1.1, 0.5 * 1.1);
        Assert.Equal(0, Stage(metrics, WriteStages.CommitWait).Count);
    }

    [Fact]
    public void Samples_reach_the_RaftOrleans_meter_tagged_with_their_node()
    {
        var seen = new List<(string Instrument, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == WriteStages.MeterName) l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            // Other tests' nodes record on the same meter meanwhile: only this one's samples count.
            foreach (var tag in tags)
                if (tag.Key == "node" && Equals(tag.Value, "meter-test"))
                    lock (seen) seen.Add((instrument.Name, value));
        });
        listener.Start();

        Metrics("meter-test").Record(WriteStages.CommitWait, 1.5);

        // The node keeps ms; the meter gets seconds, as Prometheus wants durations.
        lock (seen) Assert.Equal([("raftorleans.commit.wait", 0.0015)], seen);
    }

    private static RaftNodeMetrics Metrics(string node) => new(new RaftNodeSettings
    {
        NodeId = node, Voters = [node], Storage = new RaftStorageSettings { Kind = DatabaseKind.Sqlite, ConnectionString = "Data Source=x" },
    });

    private static StageHistogram Stage(RaftNodeMetrics metrics, WriteStage stage) => metrics.Snapshot().Single(s => s.Stage == stage.Name);

    private static Dictionary<string, StageHistogram> Stages(IReadOnlyList<NodeStatus> after, IReadOnlyList<NodeStatus> before, string node)
    {
        var earlier = before.Single(s => s.Node == node).Stages.ToDictionary(s => s.Stage);
        return after.Single(s => s.Node == node).Stages.ToDictionary(s => s.Stage, s => s.Minus(earlier.GetValueOrDefault(s.Stage)));
    }
}
