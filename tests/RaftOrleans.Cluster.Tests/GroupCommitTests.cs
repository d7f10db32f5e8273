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
        leaderStorage.WriteDelay = TimeSpan.FromMilliseconds(10);
        while (leaderStorage.Writes.TryDequeue(out _)) { }

        var replies = await Task.WhenAll(Enumerable.Range(0, proposals)
            .Select(i => cluster.Node(leader).Propose(Command($"p{i}"))));

        var outcomes = string.Join(", ", replies.GroupBy(r => r.Status).Select(g => $"{g.Key} x{g.Count()}"));
        Assert.True(replies.All(r => r.Status == ClientReplyStatus.Applied),
            $"{outcomes}; now: {ClusterViews.Describe(await cluster.StatusesAsync())}");
        Assert.Equal(proposals, replies.Select(r => r.Index).Distinct().Count());
        var nodeRowWrites = leaderStorage.Writes.Count(w => w.StateName == "raft-node");
        Assert.True(nodeRowWrites < proposals / 2,
            $"{proposals} concurrent proposals cost the leader {nodeRowWrites} node-row writes: they are not batched");
        var log = await cluster.AssertLogsAgreeAsync(cluster.Nodes, replies.Max(r => r.Index));
        Assert.Equal(proposals, Commands(log).Count(c => c.StartsWith('p')));
    }

    /// <summary>One proposal at a time on an idle cluster costs every node one node-row write: its entry.
    /// The commit index that advances afterwards is not a write of its own (it rides with the next one), so
    /// the leader answers the client without a second storage round trip.</summary>
    [Fact]
    public async Task A_lone_proposal_costs_each_node_one_write_not_a_second_one_for_the_commit_index()
    {
        const int proposals = 20;
        var storages = new ConcurrentDictionary<string, TestGrainStorage>();
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (node, silo) => TestGrainStorage.Install(silo, storage => storages[node] = storage));
        var leader = await cluster.LeaderAsync();
        await cluster.ProposeAsync(Command("warm-up"));
        await cluster.SettledAsync();
        foreach (var storage in storages.Values) storage.Writes.Clear();

        for (var i = 0; i < proposals; i++)
            Assert.Equal(ClientReplyStatus.Applied, (await cluster.Node(leader).Propose(Command($"s{i}"))).Status);
        await cluster.SettledAsync();

        foreach (var (node, storage) in storages)
        {
            var nodeRowWrites = storage.Writes.Count(w => w.StateName == "raft-node");
            Assert.True(nodeRowWrites <= proposals + 1,
                $"{proposals} proposals one at a time cost {node} {nodeRowWrites} node-row writes: the commit index is written on its own");
        }
    }
}
