using System.Diagnostics;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Placement;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

/// <summary>One 3-silo cluster shared by the tests that leave it healthy (deploying a cluster costs
/// seconds on a busy machine). Tests that kill silos or break storage start their own.</summary>
public sealed class SharedClusterFixture : IAsyncLifetime
{
    public RaftTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await RaftTestCluster.StartAsync(3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

public sealed class SharedClusterTests(SharedClusterFixture fixture) : IClassFixture<SharedClusterFixture>
{
    private RaftTestCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task One_leader_is_elected_and_each_node_is_active_on_the_silo_of_its_name_only()
    {
        var statuses = await Cluster.AgreedLeaderAsync(Cluster.Nodes);
        foreach (var status in statuses) Assert.Equal(status.Node, status.Silo);
        foreach (var node in Cluster.Nodes)
        {
            Assert.True(Cluster.Cluster.TryGetGrainContext(Cluster.Node(node).GetGrainId(), out var context), $"{node} is not active");
            var activeOn = context!.Address.SiloAddress;
            Assert.True(Equals(activeOn, Cluster.Silo(node).SiloAddress),
                $"{node} is active on {activeOn}, not on its silo {Cluster.Silo(node).SiloAddress}");
        }
    }

    [Fact]
    public async Task A_node_without_its_silo_is_not_placed_anywhere_else()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => Cluster.Node("n9").GetStatus());
        Assert.IsType<RaftNodePlacementException>(error);
        Assert.Contains("n9", error.Message);
    }

    /// <summary>Stale-term appends "from" each other make n1 and n2 answer each other at the same time,
    /// hundreds of times: deliveries only enqueue, so crossing calls never wait on each other.</summary>
    [Fact]
    public async Task Two_nodes_delivering_to_each_other_at_once_do_not_deadlock()
    {
        await Cluster.LeaderAsync();
        var clock = Stopwatch.StartNew();
        var calls = new List<Task>();
        for (var i = 0; i < 200; i++)
        {
            calls.Add(Cluster.Node("n1").Deliver([new WireAppendEntries("n2", "n1", 0, 0, 0, [], 0, 0)], CancellationToken.None));
            calls.Add(Cluster.Node("n2").Deliver([new WireAppendEntries("n1", "n2", 0, 0, 0, [], 0, 0)], CancellationToken.None));
        }
        await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"crossing deliveries took {clock.Elapsed}");

        var reply = await Cluster.ProposeAsync(Command("still-live"));
        await Cluster.AssertLogsAgreeAsync(Cluster.Nodes, reply.Index);
    }

    [Fact]
    public Task A_stale_writer_cannot_persist_a_vote() => StaleWriterScenario.StaleVoteIsRefusedAsync(Cluster);
}
