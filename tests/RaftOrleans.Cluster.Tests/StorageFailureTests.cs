using System.Collections.Concurrent;
using RaftOrleans.Contracts;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

public sealed class StorageFailureTests
{
    [Fact]
    public async Task Followers_that_cannot_persist_do_not_acknowledge_and_the_cluster_recovers_when_storage_returns()
    {
        var storages = new ConcurrentDictionary<string, TestGrainStorage>();
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (node, silo) => TestGrainStorage.Install(silo, storage => storages[node] = storage),
            tune: settings => settings with { ProposeTimeoutMs = 600 });
        var leader = await cluster.LeaderAsync();
        var durable = await cluster.ProposeAsync(Command("durable"));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, durable.Index);
        var followers = cluster.Nodes.Where(n => n != leader).ToArray();

        foreach (var follower in followers) storages[follower].Failing = true;
        var reply = await cluster.Node(leader).Propose(Command("needs-a-durable-majority"));

        // Only the leader could store it: no follower may acknowledge it, so it must not commit.
        Assert.NotEqual(ProposeStatus.Applied, reply.Status);
        Assert.True(reply.Index > 0, $"the leader did not append the command: {reply}");
        var statuses = await cluster.StatusesAsync();
        Assert.True(statuses.All(s => s.CommitIndex < reply.Index), ClusterViews.Describe(statuses));
        foreach (var follower in followers) Assert.True(storages[follower].FailedWrites > 0, $"{follower} never tried to write");

        // Without acknowledgements the leader steps down (check-quorum, §6.2). The followers cannot
        // make a vote durable, so no pre-vote or vote is answered and nobody moves to a later term.
        var leaderTerm = statuses.Single(s => s.Node == leader).Term;
        var afterStepDown = await Poll.UntilAsync(() => cluster.StatusesAsync(), s => s.Count == 3 && s.All(n => n.Role != "leader"),
            TimeSpan.FromSeconds(10), $"{leader} to step down", ClusterViews.Describe);
        Assert.All(afterStepDown, s => Assert.Equal(leaderTerm, s.Term));
        Assert.All(afterStepDown, s => Assert.True(s.CommitIndex < reply.Index, ClusterViews.Describe(afterStepDown)));

        foreach (var follower in followers) storages[follower].Failing = false;
        var after = await cluster.ProposeAsync(Command("after-recovery"));
        var log = await cluster.AssertLogsAgreeAsync(cluster.Nodes, after.Index);
        // The entry reached every log (the followers queued it while their storage failed), so the
        // next leader holds it and commits it with its own term's entries (§5.4.2).
        Assert.Contains("needs-a-durable-majority", Commands(log));
    }
}
