using System.Collections.Concurrent;
using RaftOrleans.Contracts;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

public sealed class LeadershipLossTests
{
    /// <summary>A leader cut off from the others keeps its proposal in its log (written, sent, never
    /// received) while the others elect a new leader and fill that index with their own entries. Once the
    /// network heals, the old leader learns the new term, has the entry truncated away (§5.3) and tells the
    /// proposer the command was lost, which is safe to retry.</summary>
    [Fact]
    public async Task A_proposal_overwritten_by_a_new_leader_is_reported_lost_and_never_applied()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3, tune: settings => settings with { ProposeTimeoutMs = 8000 });
        var oldLeader = await cluster.LeaderAsync();
        var durable = await cluster.ProposeAsync(Command("durable"));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, durable.Index);

        await cluster.SetFaultsAsync(t => t.WithIsolated(oldLeader));
        var doomed = cluster.Node(oldLeader).Propose(Command("doomed"));
        var others = cluster.Nodes.Where(n => n != oldLeader).ToArray();
        await Poll.UntilAsync(() => cluster.StatusesAsync(others),
            s => s.Count == 2 && s.Any(n => n.Role == NodeRole.Leader) && s.All(n => n.Leader is { } l && l != oldLeader),
            TimeSpan.FromSeconds(15), $"a new leader among {string.Join(",", others)}", ClusterViews.Describe);
        var winner = await cluster.ProposeAsync(Command("winner"), others);

        await cluster.SetFaultsAsync(_ => NetworkFaultTable.None);
        var reply = await doomed;
        Assert.Equal(ClientReplyStatus.LeadershipLost, reply.Status);

        var log = await cluster.AssertLogsAgreeAsync(cluster.Nodes, winner.Index);
        Assert.DoesNotContain("doomed", Commands(log));
        Assert.Contains("winner", Commands(log));
    }

    /// <summary>Dissertation §10.2.1: the leader sends its entries to the followers while it writes them
    /// itself, so a leader whose own storage stalls does not stall replication: the followers hold the
    /// entry and it commits on their writes alone (two of three). The leader applies it and answers only
    /// once its own write is done, since it applies nothing that its own storage does not yet hold.</summary>
    [Fact]
    public async Task A_leader_whose_storage_stalls_still_replicates_and_answers_once_its_write_is_done()
    {
        var storages = new ConcurrentDictionary<string, TestGrainStorage>();
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (node, silo) => TestGrainStorage.Install(silo, storage => storages[node] = storage),
            tune: settings => settings with { ProposeTimeoutMs = 8000 });
        var leader = await cluster.LeaderAsync();
        var warmUp = await cluster.ProposeAsync(Command("warm-up"));
        var followers = cluster.Nodes.Where(n => n != leader).ToArray();

        storages[leader].Failing = true;
        var stalled = cluster.Node(leader).Propose(Command("while-stalled"));
        var index = warmUp.Index + 1;
        // Shorter than the node-row lease (two election timeouts), after which the stalled leader stops
        // acting until its storage answers again.
        await Poll.UntilAsync(() => cluster.StatusesAsync(followers), s => s.All(f => f.CommitIndex >= index),
            TimeSpan.FromSeconds(5), $"the followers to commit {index} while the leader's storage fails", ClusterViews.Describe);
        foreach (var follower in followers)
        {
            var committed = await cluster.Node(follower).ReadCommittedLog(index, 1);
            Assert.Equal(["while-stalled"], Commands(committed));
            Assert.Equal(leader, (await cluster.Node(follower).GetStatus()).Leader); // no election took it there
        }
        Assert.False(stalled.IsCompleted, "the leader answered before its own write was done");
        Assert.True((await cluster.Node(leader).GetStatus()).AppliedIndex < index, "the leader applied an entry its storage does not hold");

        storages[leader].Failing = false;
        var reply = await stalled;
        Assert.Equal(ClientReplyStatus.Applied, reply.Status);
        var log = await cluster.AssertLogsAgreeAsync(cluster.Nodes, reply.Index);
        Assert.Contains("while-stalled", Commands(log));
    }
}
