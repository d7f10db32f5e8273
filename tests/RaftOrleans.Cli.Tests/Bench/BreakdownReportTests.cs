using RaftOrleans.Cli.Bench;
using RaftOrleans.Contracts;

namespace RaftOrleans.Cli.Tests.Bench;

public sealed class BreakdownReportTests
{
    [Fact]
    public void The_table_shows_the_level_only_takes_the_leader_that_served_it_and_merges_the_followers()
    {
        // n2 served the level's writes though n1 leads at the end (it took over late).
        NodeStatus[] before = [Status("n1", "follower", 1, Stage("propose.total", 0), Stage("write.total", 0)),
            Status("n2", "leader", 1, Stage("propose.total", 3, 10), Stage("write.total", 0)),
            Status("n3", "follower", 1, Stage("write.total", 5, 1))];
        NodeStatus[] after = [Status("n1", "leader", 2, Stage("propose.total", 2, 50), Stage("write.total", 4, 2)),
            Status("n2", "follower", 2, Stage("propose.total", 3, 10, 8, 4), Stage("write.total", 0)),
            Status("n3", "follower", 2, Stage("write.total", 5, 1, 4, 8))];
        var output = new StringWriter();

        BreakdownReport.Write(output, LatencySummary.Of("write", 16, [5, 6, 7], 0, 1), before, after);

        var lines = output.ToString().Split('\n');
        Assert.Contains("leader n2, followers n1 n3", lines[0]);
        Assert.Contains("the term changed during the level", lines[0]);
        var total = Assert.Single(lines, line => line.StartsWith("leader: Propose"));
        Assert.Equal("8", total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[5]); // the 8 samples at 4 ms, not the 3 before
        var followerWrite = Assert.Single(lines, line => line.TrimStart().StartsWith("follower: storage write"));
        Assert.Equal("8", followerWrite.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3]); // 4 of n1's + 4 new of n3's
        Assert.DoesNotContain(lines, line => line.TrimStart().StartsWith("leader's storage write")); // n2 wrote nothing
    }

    private static NodeStatus Status(string node, string role, long term, params StageHistogram[] stages) =>
        new(node, node, Enum.Parse<NodeRole>(role, ignoreCase: true), term, null, 0, 0, 0, null) { Stages = stages };

    /// <summary>A stage holding <paramref name="samples"/> pairs of (count, value in ms).</summary>
    private static StageHistogram Stage(string name, params long[] samples)
    {
        var buckets = new SortedDictionary<int, long>();
        double sum = 0;
        for (var i = 0; i + 1 < samples.Length; i += 2)
        {
            var bucket = StageBuckets.Of(samples[i + 1]);
            buckets[bucket] = buckets.GetValueOrDefault(bucket) + samples[i];
            sum += samples[i] * samples[i + 1];
        }
        return new StageHistogram(name, "ms", buckets.Values.Sum(), sum, buckets.Keys.ToArray(), buckets.Values.ToArray());
    }
}
