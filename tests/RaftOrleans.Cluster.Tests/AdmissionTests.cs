using System.Collections.Concurrent;
using RaftOrleans.Contracts;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

/// <summary>A node bounds the proposals it holds: beyond the bound it answers Busy at once, and a Busy
/// proposal never reaches the log. Once a CI run's client sent the leader ~8,000 proposals a second; the node
/// took every one (67,000 calls running, 200,000 queued) and stopped answering anyone.</summary>
public sealed class AdmissionTests
{
    [Fact]
    public async Task Proposals_beyond_the_bound_are_refused_busy_at_once_and_never_reach_the_log()
    {
        const int bound = 40;
        const int proposals = 400;
        var storages = new ConcurrentDictionary<string, TestGrainStorage>();
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (node, silo) => TestGrainStorage.Install(silo, storage => storages[node] = storage),
            tune: settings => settings with { MaxPendingProposals = bound, ProposeTimeoutMs = 8000 });
        var leader = await cluster.LeaderAsync();
        // A slow disk on the leader: proposals pile up while its writes are in flight.
        storages[leader].WriteDelay = TimeSpan.FromMilliseconds(30);

        var refusedBefore = (await cluster.Node(leader).GetStatus()).Counters.ProposalsRefused;
        var replies = await Task.WhenAll(Enumerable.Range(0, proposals)
            .Select(i => cluster.Node(leader).Propose(Command($"a{i}"))));
        var refused = (await cluster.Node(leader).GetStatus()).Counters.ProposalsRefused - refusedBefore;

        var outcomes = string.Join(", ", replies.GroupBy(r => r.Status).Select(g => $"{g.Key} x{g.Count()}"));
        Assert.True(replies.All(r => r.Status is ClientReplyStatus.Applied or ClientReplyStatus.Busy), outcomes);
        var applied = replies.Where(r => r.Status == ClientReplyStatus.Applied).ToList();
        Assert.True(applied.Count <= proposals - bound, $"{outcomes}: nothing was refused beyond {bound} pending");
        Assert.NotEmpty(applied);
        Assert.Equal(proposals - applied.Count, refused); // each Busy is counted on the meter's refused proposals
        var log = await cluster.AssertLogsAgreeAsync(cluster.Nodes, applied.Max(r => r.Index));
        var logged = Commands(log).Where(c => c.StartsWith('a')).ToList();
        Assert.Equal(applied.Count, logged.Count); // a Busy proposal is not in the log, an Applied one is, once
        Assert.Equal(logged.Count, logged.Distinct().Count());
    }
}
