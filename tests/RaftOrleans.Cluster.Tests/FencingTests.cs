using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.Grains.Node;
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
        await TakeOverNodeRowAsync(cluster, follower);

        // Proposals make the follower persist, which fails on the ETag; a new activation loads the row.
        await Poll.UntilAsync(async () =>
        {
            await cluster.ProposeAsync(Command("forces a follower write"));
            return cluster.Cluster.TryGetGrainContext(grainId, out var now) ? now!.ActivationId : default;
        }, id => id != default && id != activationBefore, TimeSpan.FromSeconds(15), $"a new activation of {follower}");

        var reply = await cluster.ProposeAsync(Command("after the fence"));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, reply.Index);
    }

    /// <summary>Issue 10, defect 5: an activation that needs no write (an idle follower acknowledging
    /// heartbeats, an idle leader sending them and confirming read rounds) never meets the ETag fence, so
    /// without a check of its own it would go on speaking for the node next to the activation that took
    /// the row over. The other writer here is a store standing in for that newer activation; the old
    /// activation must notice within an election timeout that its row moved, and stop.</summary>
    [Theory]
    [InlineData("follower")]
    [InlineData("leader")]
    public async Task An_activation_whose_row_was_taken_over_stops_speaking_even_when_it_has_nothing_to_write(string role)
    {
        var deliveries = new ConcurrentQueue<(string Node, ActivationId Sender)>();
        await using var cluster = await RaftTestCluster.StartAsync(3, configure: (node, silo) =>
            silo.AddOutgoingGrainCallFilter(async context =>
            {
                if (context.InterfaceMethod?.Name == nameof(IRaftNodeGrain.Deliver) && context.SourceContext is { } sender)
                    deliveries.Enqueue((node, sender.ActivationId));
                await context.Invoke();
            }));
        var leader = await cluster.LeaderAsync();
        var target = role == "leader" ? leader : cluster.Nodes.First(n => n != leader);
        var grainId = cluster.Node(target).GetGrainId();
        Assert.True(cluster.Cluster.TryGetGrainContext(grainId, out var before), $"{target} is not active");
        var oldActivation = before!.ActivationId;

        await TakeOverNodeRowAsync(cluster, target);
        var sentBeforeTakeover = deliveries.Count(d => d.Sender == oldActivation);

        // Nothing is proposed: the old activation has no reason to write, only to exchange heartbeats.
        await Poll.UntilAsync(() => Task.FromResult(cluster.Cluster.TryGetGrainContext(grainId, out var now) ? now!.ActivationId : default),
            now => now != oldActivation, TimeSpan.FromSeconds(10), $"the fenced {role} activation of {target} to stop",
            _ => $"it is still active and sent {deliveries.Count(d => d.Sender == oldActivation) - sentBeforeTakeover} more batches of messages after its row was taken over");

        var sentWhenGone = deliveries.Count(d => d.Sender == oldActivation);
        await cluster.AgreedLeaderAsync(cluster.Nodes, TimeSpan.FromSeconds(15));
        Assert.Equal(sentWhenGone, deliveries.Count(d => d.Sender == oldActivation));
        var reply = await cluster.ProposeAsync(Command("after the takeover"));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, reply.Index);
    }

    /// <summary>Writes <paramref name="node"/>'s row from outside, as a newer activation would.</summary>
    private static Task TakeOverNodeRowAsync(RaftTestCluster cluster, string node)
    {
        var usurper = new RaftNodeStore(StorageOf(cluster, node), cluster.Node(node).GetGrainId(), 32);
        return Poll.UntilAsync(async () =>
        {
            await usurper.LoadAsync();
            await usurper.PersistAsync(null, Array.Empty<LogEntry>(), _ => throw new InvalidOperationException("no entries are rewritten"));
            return true;
        }, done => done, TimeSpan.FromSeconds(10), "a write of the node row with its current ETag");
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
