using RaftOrleans.Cli.Dashboard;
using RaftOrleans.Client.Connections;
using RaftOrleans.Contracts;

namespace RaftOrleans.Cli.Tests;

/// <summary>The dashboard's figures: writes per second and latency from the nodes' cumulative write histograms,
/// the leader timeline, each node's lag.</summary>
public sealed class DashboardStateTests
{
    private static readonly DateTime Start = new(2026, 12, 2, 0, 0, 0, DateTimeKind.Utc);

    /// <summary>A cumulative "propose.total" histogram of <paramref name="count"/> writes of <paramref name="ms"/> each.</summary>
    private static StageHistogram Writes(long count, double ms) =>
        new(DashboardState.WriteStage, "ms", count, count * ms, count == 0 ? [] : [StageBuckets.Of(ms)], count == 0 ? [] : [count]);

    private static NodeStatusRow Row(string node, string role, long term, string? leader, long commit, long applied, StageHistogram? writes = null) =>
        new(node, new NodeStatus(node, node, Enum.Parse<NodeRole>(role, ignoreCase: true), term, leader, commit, applied, commit, 0) { Stages = writes is null ? [] : [writes] }, null);

    [Fact]
    public void Writes_per_second_and_latency_come_from_what_the_histograms_grew_by()
    {
        var state = new DashboardState("c", TimeSpan.FromMinutes(5));
        state.Update([Row("n1", "leader", 1, "n1", 10, 10, Writes(100, 4)), Row("n2", "follower", 1, "n1", 10, 8)], Start);
        var frame = state.Update([Row("n1", "leader", 1, "n1", 60, 60, Writes(150, 4) with { Sum = 100 * 4 + 50 * 10, Buckets = [StageBuckets.Of(4), StageBuckets.Of(10)], Counts = [100, 50] }),
            Row("n2", "follower", 1, "n1", 60, 55)], Start.AddSeconds(0.5));

        var point = Assert.Single(frame.Writes);
        Assert.Equal(100, point.WritesPerSecond, 6);
        Assert.Equal(10, point.MeanMs!.Value, 6);
        Assert.InRange(point.P99Ms!.Value, 10 / 1.1, 10 * 1.1);
        Assert.Equal("n1", frame.Leader);
        Assert.Equal([0L, 5L], frame.Nodes.Select(node => node.Lag!.Value));
    }

    [Fact]
    public void A_failover_adds_to_the_timeline_and_writes_of_both_leaders_count_and_a_restarted_node_counts_from_its_new_start()
    {
        var state = new DashboardState("c", TimeSpan.FromMinutes(5));
        var first = state.Update([Row("n1", "leader", 1, "n1", 5, 5, Writes(40, 2)), Row("n2", "follower", 1, "n1", 5, 5, Writes(0, 0))], Start);
        Assert.Equal(["leader n1 in term 1"], first.Timeline.Select(e => e.Note));

        var lost = state.Update([new NodeStatusRow("n1", null, "refused"), Row("n2", "follower", 1, "n1", 5, 5, Writes(0, 0))], Start.AddSeconds(1));
        Assert.Null(lost.Leader);
        Assert.Null(lost.Nodes[0].Lag);
        Assert.Equal(0, lost.Writes[^1].WritesPerSecond);
        Assert.Null(lost.Writes[^1].MeanMs);

        // n1 back with a fresh silo (its histogram restarted at 3) while n2 leads and answered 7.
        var after = state.Update([Row("n1", "follower", 2, "n2", 15, 15, Writes(3, 2)), Row("n2", "leader", 2, "n2", 15, 15, Writes(7, 2))],
            Start.AddSeconds(2));
        // n2: 7 in the last second; n1: 3 since its reading 2 s ago.
        Assert.Equal(7 + 1.5, after.Writes[^1].WritesPerSecond, 6);
        Assert.Contains("new leader n2 in term 2", after.Timeline.Select(e => e.Note));
        Assert.Equal("n2", after.Timeline.Single(e => e.Note.StartsWith("new leader")).Leader);
    }

    [Fact]
    public void A_node_that_missed_readings_spreads_its_writes_over_the_time_since_it_was_last_read()
    {
        var state = new DashboardState("c", TimeSpan.FromMinutes(5));
        state.Update([Row("n1", "leader", 1, "n1", 5, 5, Writes(0, 1))], Start);
        state.Update([new NodeStatusRow("n1", null, "no answer within 1500 ms")], Start.AddSeconds(1));
        var frame = state.Update([Row("n1", "leader", 1, "n1", 25, 25, Writes(20, 1))], Start.AddSeconds(2));
        Assert.Equal(10, frame.Writes[^1].WritesPerSecond, 6);
    }

    [Fact]
    public void Points_older_than_the_history_are_dropped()
    {
        var state = new DashboardState("c", TimeSpan.FromSeconds(10));
        DashboardFrame frame = null!;
        for (var second = 0; second <= 30; second++)
        {
            frame = state.Update([Row("n1", "leader", 1, "n1", 1, 1, Writes(second, 1))], Start.AddSeconds(second));
        }

        // Readings at 20 s .. 30 s: the last 10 s, both ends included.
        Assert.Equal(Enumerable.Range(20, 11).Select(second => Start.AddSeconds(second)), frame.Writes.Select(point => point.At));
        Assert.All(frame.Writes, point => Assert.Equal(1, point.WritesPerSecond, 6));
    }
}
