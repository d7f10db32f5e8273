using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
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
        Assert.NotEqual(ClientReplyStatus.Applied, reply.Status);
        Assert.True(reply.Index > 0, $"the leader did not append the command: {reply}");
        var statuses = await cluster.StatusesAsync();
        Assert.True(statuses.All(s => s.CommitIndex < reply.Index), ClusterViews.Describe(statuses));
        foreach (var follower in followers) Assert.True(storages[follower].FailedWrites > 0, $"{follower} never tried to write");

        // Without acknowledgements the leader steps down (check-quorum, §6.2). The followers cannot
        // make a vote durable, so no pre-vote or vote is answered and nobody moves to a later term.
        var leaderTerm = statuses.Single(s => s.Node == leader).Term;
        var afterStepDown = await Poll.UntilAsync(() => cluster.StatusesAsync(), s => s.Count == 3 && s.All(n => n.Role != NodeRole.Leader),
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

    /// <summary>Issue 10, defect 6: the database committed the leader's write but the answer was lost.
    /// The retry must recognise the row as its own write, not as a newer activation's, so the leader keeps
    /// its leadership and the proposal waiting on that write.</summary>
    [Fact]
    public async Task A_write_that_committed_but_timed_out_keeps_the_leader_and_its_proposal()
    {
        var storages = new ConcurrentDictionary<string, TestGrainStorage>();
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (node, silo) => TestGrainStorage.Install(silo, storage => storages[node] = storage));
        var leader = await cluster.LeaderAsync();
        var before = await cluster.Node(leader).GetStatus();

        storages[leader].CommitThenTimeOutNodeRowWrites = 1;
        var reply = await cluster.Node(leader).Propose(Command("stored, answer lost"));

        Assert.Equal(0, storages[leader].CommitThenTimeOutNodeRowWrites); // the injected timeout happened
        Assert.Equal(ClientReplyStatus.Applied, reply.Status);
        var after = await cluster.Node(leader).GetStatus();
        Assert.Equal((before.Activation, NodeRole.Leader, before.Term), (after.Activation, after.Role, after.Term));
        var next = await cluster.ProposeAsync(Command("after it"));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, next.Index);
    }

    /// <summary>Issue 10, defect 6: an error that no retry can heal (a corrupt database) must not be retried
    /// forever: the node stops, says once what failed and why, and stays stopped.</summary>
    [Fact]
    public async Task A_storage_error_that_cannot_heal_stops_the_node_with_one_clear_log_line()
    {
        var storages = new ConcurrentDictionary<string, TestGrainStorage>();
        var logs = new LogCapture();
        await using var cluster = await RaftTestCluster.StartAsync(3, configure: (node, silo) =>
        {
            TestGrainStorage.Install(silo, storage => storages[node] = storage);
            logs.Install(silo, node);
        });
        var leader = await cluster.LeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        var activation = (await cluster.Node(follower).GetStatus()).Activation;

        storages[follower].Corrupt = true;
        var reply = await cluster.ProposeAsync(Command("the follower cannot store this")); // the other two commit it
        var stopped = await Poll.UntilAsync(() => cluster.Node(follower).GetStatus(), s => s.Role == NodeRole.Stopped,
            TimeSpan.FromSeconds(10), $"{follower} to stop on a corrupt database",
            s => $"{s.Role}, {storages[follower].FailedWrites} failed writes so far");
        Assert.Equal(activation, stopped.Activation);

        var attempts = storages[follower].FailedWrites;
        await Poll.HoldsAsync(() => cluster.Node(follower).GetStatus(),
            s => s.Role == NodeRole.Stopped && s.Activation == activation && storages[follower].FailedWrites == attempts,
            TimeSpan.FromSeconds(2), $"{follower} to stay stopped without writing again",
            s => $"{s.Role} activation {s.Activation}, {storages[follower].FailedWrites} failed writes (were {attempts})");
        var errors = logs.Of(follower).Where(l => l.Level >= LogLevel.Error).ToArray();
        var line = Assert.Single(errors).Message;
        Assert.Contains(RaftOrleans.Grains.Storage.RaftNodeStore.NodeStateName, line);
        Assert.Contains("malformed", line);
        var after = await cluster.ProposeAsync(Command("the other two go on"));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes.Where(n => n != follower).ToArray(), after.Index);
        Assert.True(reply.Index < after.Index);
    }
}
