using RaftOrleans.Contracts;

namespace RaftOrleans.Cluster.Tests;

public sealed class ElectionTests
{
    [Fact]
    public async Task Five_silos_elect_one_leader_and_replicate_to_all()
    {
        await using var cluster = await RaftTestCluster.StartAsync(5);
        // Nobody has called the nodes yet: each silo activates its own node when it starts.
        await Poll.UntilAsync(() => Task.FromResult(cluster.Nodes.Where(n =>
                !cluster.Cluster.TryGetGrainContext(cluster.Node(n).GetGrainId(), out _)).ToArray()),
            inactive => inactive.Length == 0, TimeSpan.FromSeconds(10), "every node active without a call",
            inactive => "inactive: " + string.Join(",", inactive));
        var statuses = await cluster.AgreedLeaderAsync(cluster.Nodes);
        foreach (var status in statuses) Assert.Equal(status.Node, status.Silo);
        var reply = await cluster.ProposeAsync(LogChecks.Command("x"));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, reply.Index);
    }
}
