using System.Collections.Concurrent;
using RaftOrleans.Contracts;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

public sealed class LeadershipLossTests
{
    /// <summary>A leader whose storage stalls keeps its proposal in memory while the others elect a new
    /// leader and fill that index with their own entries. When the old leader's storage returns it
    /// persists the doomed entry, learns the new term, has the entry truncated away (§5.3) and tells the
    /// proposer the command was lost, which is safe to retry.</summary>
    [Fact]
    public async Task A_proposal_overwritten_by_a_new_leader_is_reported_lost_and_never_applied()
    {
        var storages = new ConcurrentDictionary<string, TestGrainStorage>();
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (node, silo) => TestGrainStorage.Install(silo, storage => storages[node] = storage),
            tune: settings => settings with { ProposeTimeoutMs = 8000 });
        var oldLeader = await cluster.LeaderAsync();
        var durable = await cluster.ProposeAsync(Command("durable"));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, durable.Index);

        storages[oldLeader].Failing = true;
        var doomed = cluster.Node(oldLeader).Propose(Command("doomed"));
        var others = cluster.Nodes.Where(n => n != oldLeader).ToArray();
        await Poll.UntilAsync(() => cluster.StatusesAsync(others),
            s => s.Count == 2 && s.Any(n => n.Role == "leader") && s.All(n => n.Leader is { } l && l != oldLeader),
            TimeSpan.FromSeconds(15), $"a new leader among {string.Join(",", others)}", ClusterViews.Describe);
        var winner = await cluster.ProposeAsync(Command("winner"), others);

        storages[oldLeader].Failing = false;
        var reply = await doomed;
        Assert.Equal(ProposeStatus.LeadershipLost, reply.Status);

        var log = await cluster.AssertLogsAgreeAsync(cluster.Nodes, winner.Index);
        Assert.DoesNotContain("doomed", Commands(log));
        Assert.Contains("winner", Commands(log));
    }
}
