using RaftOrleans.Contracts;

namespace RaftOrleans.Cluster.Tests;

public sealed class ElectionTests
{
    [Fact]
    public async Task Three_silos_elect_one_leader_and_each_node_lives_on_its_own_silo()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3);
        var statuses = await cluster.AgreedLeaderAsync(cluster.Nodes);
        foreach (var status in statuses) Assert.Equal(status.Node, status.Silo);
    }
}
