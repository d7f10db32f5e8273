using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using RaftOrleans.Grains;
using RaftOrleans.Grains.Storage;
using RaftOrleans.Raft;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

/// <summary>The storage ETag is the fence against a stale or duplicate activation of a node.</summary>
public sealed class FencingTests
{
    [Fact]
    public async Task A_live_activation_whose_row_was_taken_over_stops_and_the_node_comes_back_from_storage()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3);
        var leader = await cluster.LeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        var grainId = cluster.Node(follower).GetGrainId();
        Assert.True(cluster.Cluster.TryGetGrainContext(grainId, out var before), $"{follower} is not active");
        var activationBefore = before!.ActivationId;

        // Another writer (standing in for a duplicate activation) writes the node's row: from now on the
        // live activation holds a stale ETag, and its next write must fail and stop it.
        var usurper = new RaftNodeStore(StorageOf(cluster, follower), grainId, 32);
        await Poll.UntilAsync(async () =>
        {
            await usurper.LoadAsync();
            await usurper.PersistAsync(null, Array.Empty<LogEntry>(), _ => throw new InvalidOperationException("no entries are rewritten"));
            return true;
        }, done => done, TimeSpan.FromSeconds(10), "a write of the node row with its current ETag");

        // Proposals make the follower persist, which fails on the ETag; a new activation loads the row.
        await Poll.UntilAsync(async () =>
        {
            await cluster.ProposeAsync(Command("forces a follower write"));
            return cluster.Cluster.TryGetGrainContext(grainId, out var now) ? now!.ActivationId : default;
        }, id => id != default && id != activationBefore, TimeSpan.FromSeconds(15), $"a new activation of {follower}");

        var reply = await cluster.ProposeAsync(Command("after the fence"));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, reply.Index);
    }

    internal static IGrainStorage StorageOf(RaftTestCluster cluster, string node) =>
        cluster.Silo(node).ServiceProvider.GetRequiredKeyedService<IGrainStorage>(RaftSiloBuilderExtensions.StorageProviderName);
}

internal static class StaleWriterScenario
{
    /// <summary>A second store loads a follower's row, the live node moves the row on, and the stale
    /// store's attempt to record a vote is refused; the row keeps the live node's vote.</summary>
    public static async Task StaleVoteIsRefusedAsync(RaftTestCluster cluster)
    {
        var leader = await cluster.LeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        var storage = FencingTests.StorageOf(cluster, follower);
        var grainId = cluster.Node(follower).GetGrainId();

        var stale = new RaftNodeStore(storage, grainId, 32);
        var staleView = await stale.LoadAsync();
        var reply = await cluster.ProposeAsync(Command("moves the row on"));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, reply.Index);

        var staleVote = new HardState(staleView.HardState.Term + 1, "a-stale-candidate", staleView.HardState.Commit);
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            stale.PersistAsync(staleVote, Array.Empty<LogEntry>(), _ => throw new InvalidOperationException("no entries are rewritten")));

        var current = await new RaftNodeStore(storage, grainId, 32).LoadAsync();
        Assert.NotEqual("a-stale-candidate", current.HardState.VotedFor);
        Assert.True(current.Entries.Count >= reply.Index, $"the row lost entries: {current.Entries.Count} < {reply.Index}");
    }
}
