using System.Globalization;
using RaftOrleans.Contracts;

namespace RaftOrleans.Cli.Bench;

/// <summary>
/// `bench cluster --breakdown`: where a write's time went during one client level, from the stage
/// histograms the nodes report in their status (RaftOrleans.Grains' WriteStages), read before and after
/// the level. Leader stages from the leader, follower stages merged over the followers; the client row is
/// the client's own latency, and "client to leader and back" is the client's median minus the leader's.
/// </summary>
public static class BreakdownReport
{
    private enum Part { Leader, Followers }

    private static readonly (Part Part, string Stage, string Label)[] Rows =
    [
        (Part.Leader, "propose.total", "leader: Propose, arrival to reply"),
        (Part.Leader, "propose.wait", "  proposal waits for the loop"),
        (Part.Leader, "write.total", "  leader's storage write"),
        (Part.Leader, "write.queue", "    to a pool thread"),
        (Part.Leader, "write.storage", "    store: serialize + ADO.NET + sync"),
        (Part.Leader, "write.resume", "    back on the grain"),
        (Part.Leader, "row.serialize", "    serialize one row"),
        (Part.Leader, "write.entries", "  entries per write"),
        (Part.Leader, "write.rows", "  rows per write"),
        (Part.Leader, "row.bytes", "  bytes per row"),
        (Part.Leader, "send.wait", "  message waits in the outbox"),
        (Part.Leader, "deliver.call", "  one delivery call"),
        (Part.Leader, "append.rtt", "  AppendEntries to its ack's arrival"),
        (Part.Followers, "append.wait", "    follower: waits in the inbox"),
        (Part.Followers, "write.total", "    follower: storage write"),
        (Part.Followers, "write.queue", "      to a pool thread"),
        (Part.Followers, "write.storage", "      store: serialize + ADO.NET + sync"),
        (Part.Followers, "write.resume", "      back on the grain"),
        (Part.Followers, "row.serialize", "      serialize one row"),
        (Part.Followers, "write.entries", "    follower: entries per write"),
        (Part.Followers, "row.bytes", "    follower: bytes per row"),
        (Part.Followers, "append.turnaround", "    follower: arrival to ack sent"),
        (Part.Followers, "deliver.call", "    follower: one delivery call"),
        (Part.Leader, "ack.wait", "  ack waits in the leader's inbox"),
        (Part.Leader, "commit.wait", "  commit to apply"),
        (Part.Leader, "reply.wait", "  apply to the reply"),
    ];

    /// <summary>Prints the table; <paramref name="before"/> and <paramref name="after"/> are the nodes'
    /// statuses (those that answered) around the level.</summary>
    public static void Write(TextWriter output, LatencySummary client, IReadOnlyList<NodeStatus> before, IReadOnlyList<NodeStatus> after)
    {
        // The leader is the node that answered the level's writes: the one leading at the end may have taken
        // over only late in it (an election during the level, which the header then says).
        var during = StagesDuring(before, after);
        var leader = ServingLeader(after, during);
        if (leader is null)
        {
            output.WriteLine($"breakdown, {client.Clients} clients: no node that answered served a write, nothing to show");
            return;
        }

        var followers = after.Where(status => status.Node != leader.Node).ToList();
        var leaderStages = during[leader.Node];
        var terms = before.Select(status => status.Term).Concat(after.Select(status => status.Term)).Distinct().Count();
        var followerStages = followers.Select(follower => during[follower.Node])
            .Aggregate(new Dictionary<string, StageHistogram>(), (merged, next) =>
            {
                foreach (var (name, histogram) in next) merged[name] = merged.TryGetValue(name, out var sum) ? sum.Plus(histogram) : histogram;
                return merged;
            });

        output.WriteLine($"breakdown, {client.Clients} clients: leader {leader.Node}, followers {string.Join(" ", followers.Select(f => f.Node))} " +
                         "(ms unless named; follower rows merge the followers)" +
                         (terms > 1 ? "; the term changed during the level: an election, whose figures are mixed in" : ""));
        output.WriteLine($"{"stage",-40} {"count",8} {"p50",9} {"p90",9} {"p99",9} {"mean",9}");
        output.WriteLine(Line("client: write, as the client saw it", client.Operations, client.LatencyMsP50, client.LatencyMsP90, client.LatencyMsP99, double.NaN));
        if (leaderStages.TryGetValue("propose.total", out var total) && total.Count > 0)
        {
            output.WriteLine(Line("  client to leader and back (p50 diff)", client.Operations, client.LatencyMsP50 - total.Percentile(0.5), double.NaN, double.NaN, double.NaN));
        }

        foreach (var (part, stage, label) in Rows)
        {
            var stages = part == Part.Leader ? leaderStages : followerStages;
            if (!stages.TryGetValue(stage, out var histogram) || histogram.Count == 0) continue;
            output.WriteLine(Line(label, histogram.Count, histogram.Percentile(0.5), histogram.Percentile(0.9), histogram.Percentile(0.99), histogram.Mean));
        }
    }

    /// <summary>Each node's stage histograms (node name to stage name) for what happened between the two readings.</summary>
    public static Dictionary<string, Dictionary<string, StageHistogram>> StagesDuring(IReadOnlyList<NodeStatus> before, IReadOnlyList<NodeStatus> after) =>
        after.ToDictionary(status => status.Node, status => During(status, before));

    /// <summary>The node that answered the most proposals between the readings (null: none answered one).</summary>
    public static NodeStatus? ServingLeader(IReadOnlyList<NodeStatus> after, Dictionary<string, Dictionary<string, StageHistogram>> during)
    {
        var leader = after.MaxBy(status => during[status.Node].GetValueOrDefault("propose.total")?.Count ?? 0);
        return leader is not null && (during[leader.Node].GetValueOrDefault("propose.total")?.Count ?? 0) > 0 ? leader : null;
    }

    private static Dictionary<string, StageHistogram> During(NodeStatus after, IReadOnlyList<NodeStatus> before)
    {
        // A node that restarted meanwhile (new activation) still counts from its silo's start: its
        // figures are cumulative per silo, so the earlier reading is the right baseline unless the silo
        // itself restarted, in which case its counts went down and the reading after is taken whole.
        var earlier = before.FirstOrDefault(status => status.Node == after.Node)?.Stages.ToDictionary(s => s.Stage) ?? new();
        return after.Stages.ToDictionary(stage => stage.Stage, stage =>
            earlier.TryGetValue(stage.Stage, out var baseline) && baseline.Count <= stage.Count ? stage.Minus(baseline) : stage);
    }

    private static string Line(string label, long count, double p50, double p90, double p99, double mean) =>
        string.Create(CultureInfo.InvariantCulture, $"{label,-40} {count,8} {Figure(p50),9} {Figure(p90),9} {Figure(p99),9} {Figure(mean),9}");

    private static string Figure(double value) =>
        double.IsNaN(value) ? "" : value >= 100 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.000", CultureInfo.InvariantCulture);
}
