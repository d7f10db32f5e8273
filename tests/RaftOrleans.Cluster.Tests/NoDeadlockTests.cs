using System.Diagnostics;
using RaftOrleans.Contracts;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

public sealed class NoDeadlockTests
{
    /// <summary>Stale-term appends "from" each other make n1 and n2 answer each other at the same time,
    /// hundreds of times: deliveries only enqueue, so crossing calls never wait on each other.</summary>
    [Fact]
    public async Task Two_nodes_delivering_to_each_other_at_once_do_not_deadlock()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3);
        await cluster.LeaderAsync();
        var clock = Stopwatch.StartNew();
        var calls = new List<Task>();
        for (var i = 0; i < 200; i++)
        {
            calls.Add(cluster.Node("n1").Deliver([new WireAppendEntries("n2", "n1", 0, 0, 0, [], 0, 0)], CancellationToken.None));
            calls.Add(cluster.Node("n2").Deliver([new WireAppendEntries("n1", "n2", 0, 0, 0, [], 0, 0)], CancellationToken.None));
        }
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"crossing deliveries took {clock.Elapsed}");

        var reply = await cluster.ProposeAsync(Command("still-live"));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, reply.Index);
    }
}
