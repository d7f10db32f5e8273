using System.Collections.Concurrent;
using RaftOrleans.Contracts;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

public sealed class GroupCommitTests
{
    /// <summary>Proposals that arrive while the leader's loop awaits storage fold into the next Ready,
    /// so concurrent proposals share storage writes instead of paying one each.</summary>
    [Fact]
    public async Task Concurrent_proposals_share_storage_writes()
    {
        const int proposals = 256;
        var storages = new ConcurrentDictionary<string, TestGrainStorage>();
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (node, silo) => TestGrainStorage.Install(silo, storage => storages[node] = storage),
            tune: settings => settings with { ProposeTimeoutMs = 8000 });
        var leader = await cluster.LeaderAsync();
        var leaderStorage = storages[leader];
        while (leaderStorage.Writes.TryDequeue(out _)) { }

        var replies = await Task.WhenAll(Enumerable.Range(0, proposals)
            .Select(i => cluster.Node(leader).Propose(Command($"p{i}"))));

        var outcomes = string.Join(", ", replies.GroupBy(r => r.Status).Select(g => $"{g.Key} x{g.Count()}"));
        Assert.True(replies.All(r => r.Status == ProposeStatus.Applied),
            $"{outcomes}; now: {ClusterViews.Describe(await cluster.StatusesAsync())}");
        Assert.Equal(proposals, replies.Select(r => r.Index).Distinct().Count());
        var nodeRowWrites = leaderStorage.Writes.Count(w => w.StateName == "raft-node");
        Assert.True(nodeRowWrites < proposals / 2,
            $"{proposals} concurrent proposals cost the leader {nodeRowWrites} node-row writes: they are not batched");
        var log = await cluster.AssertLogsAgreeAsync(cluster.Nodes, replies.Max(r => r.Index));
        Assert.Equal(proposals, Commands(log).Count(c => c.StartsWith('p')));
    }
}
