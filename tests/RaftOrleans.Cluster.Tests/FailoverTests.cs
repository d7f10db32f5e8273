using RaftOrleans.Contracts;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

public sealed class FailoverTests
{
    [Fact]
    public async Task Killing_the_leaders_silo_elects_a_new_leader_that_keeps_every_committed_entry_and_the_restarted_node_catches_up()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3);
        for (var i = 0; i < 10; i++)
        {
            var reply = await cluster.ProposeAsync(Command($"before-{i}"));
            Assert.Equal(Command($"before-{i}"), reply.Result); // the recording state machine echoes
        }
        var before = await cluster.AssertLogsAgreeAsync(cluster.Nodes, (await cluster.StatusesAsync()).Max(s => s.CommitIndex));

        var oldLeader = await cluster.LeaderAsync();
        var oldTerm = (await cluster.Node(oldLeader).GetStatus()).Term;
        await cluster.KillAsync(oldLeader);
        var survivors = cluster.Nodes.Where(n => n != oldLeader).ToArray();
        var statuses = await cluster.AgreedLeaderAsync(survivors);
        Assert.True(statuses.All(s => s.Term > oldTerm), ClusterViews.Describe(statuses));

        // The dead node is not reborn on another silo: placement refuses it.
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => cluster.Node(oldLeader).GetStatus());
        Assert.Contains(oldLeader, refused.Message);

        for (var i = 0; i < 5; i++) await cluster.ProposeAsync(Command($"after-{i}"), survivors);
        var survivorStatuses = await cluster.StatusesAsync(survivors);
        var afterFailover = await cluster.AssertLogsAgreeAsync(survivors, survivorStatuses.Max(s => s.CommitIndex));
        Assert.Equal(Commands(before), Commands(afterFailover).Take(Commands(before).Length));
        Assert.Equal(15, Commands(afterFailover).Length);

        await cluster.RestartAsync(oldLeader);
        var target = (await cluster.StatusesAsync(survivors)).Max(s => s.CommitIndex);
        var all = await cluster.AssertLogsAgreeAsync(cluster.Nodes, target);
        Assert.Equal(Commands(afterFailover), Commands(all));
        Assert.Equal(oldLeader, (await cluster.Node(oldLeader).GetStatus()).Silo);
    }

    [Fact]
    public async Task A_follower_asked_to_write_after_its_leader_died_holds_the_write_until_a_new_leader_is_known()
    {
        // An election timeout of 0.6-1.2 s leaves a wide window between the kill and the next leader.
        await using var cluster = await RaftTestCluster.StartAsync(3,
            tune: settings => settings with { TickIntervalMs = 10, ElectionTicks = 60, HeartbeatTicks = 5 });
        await cluster.ProposeAsync(Command("before"));
        var oldLeader = await cluster.LeaderAsync();
        var survivors = cluster.Nodes.Where(n => n != oldLeader).ToArray();
        await cluster.KillAsync(oldLeader);
        // Past two heartbeats without the leader, well inside the survivors' election timeout: the follower
        // still names the dead node as its leader.
        await Task.Delay(250);
        var asked = survivors[0];
        var reply = await TransportRetry.ReachAsync(() => cluster.Node(asked).Propose(Command("during")));

        // Refused at once, the client would be sent back to the dead node (or told nothing) and would have to
        // poll; held, the answer names the leader elected meanwhile, or is the write applied by the node itself.
        var statuses = await cluster.AgreedLeaderAsync(survivors);
        var newLeader = statuses.Single(s => s.Role == NodeRole.Leader).Node;
        if (reply.Status == ClientReplyStatus.Applied)
        {
            Assert.Equal(asked, newLeader);
            Assert.Equal(Command("during"), reply.Result);
        }
        else
        {
            Assert.Equal(ClientReplyStatus.NotLeader, reply.Status);
            Assert.Equal(newLeader, reply.LeaderHint);
        }
    }

    [Fact]
    public async Task Killing_silos_leaves_the_nodes_on_the_other_silos_running_undisturbed()
    {
        await using var cluster = await RaftTestCluster.StartAsync(5);
        var leader = await cluster.LeaderAsync();
        var before = (await cluster.StatusesAsync()).ToDictionary(s => s.Node);
        var followers = cluster.Nodes.Where(n => n != leader).ToArray();

        // Two followers die: the other three keep their activations, and the leader its leadership.
        var survivors = await cluster.KillAndAwaitDeathAsync(followers[..2], cluster.Nodes);
        await cluster.ProposeAsync(Command("after-two-deaths"), survivors);
        // (A status call can fail in transport while the test client still routes through a killed silo.)
        var after = (await Poll.UntilAsync(() => cluster.StatusesAsync(survivors), s => s.Count == survivors.Length,
            TimeSpan.FromSeconds(10), "every survivor to answer", ClusterViews.Describe)).ToDictionary(s => s.Node);
        foreach (var node in survivors)
            Assert.True(before[node].Activation == after[node].Activation, $"{node} was restarted by the death of {followers[0]},{followers[1]}");
        Assert.Equal(leader, after[leader].Leader);
        Assert.Equal(before[leader].Term, after[leader].Term);

        // The rest die too: wherever Orleans kept the leader's directory entry, the leader's grain stays.
        survivors = await cluster.KillAndAwaitDeathAsync(followers[2..], survivors);
        Assert.Equal(before[leader].Activation, (await TransportRetry.ReachAsync(() => cluster.Node(leader).GetStatus())).Activation);
    }

    [Fact]
    public async Task A_full_restart_reloads_term_vote_and_log_from_storage()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3);
        for (var i = 0; i < 40; i++) await cluster.ProposeAsync(Command($"c{i}"));
        var commit = (await cluster.StatusesAsync()).Max(s => s.CommitIndex);
        var before = await cluster.AssertLogsAgreeAsync(cluster.Nodes, commit);
        var termsBefore = (await cluster.StatusesAsync()).ToDictionary(s => s.Node, s => s.Term);

        foreach (var node in cluster.Nodes) await cluster.KillAsync(node);
        foreach (var node in cluster.Nodes) await cluster.RestartAsync(node);

        // Nothing survived in memory: whatever the nodes hold now came from their SQLite files.
        var after = await cluster.AssertLogsAgreeAsync(cluster.Nodes, commit);
        Assert.Equal(Commands(before), Commands(after).Take(Commands(before).Length));
        foreach (var status in await cluster.StatusesAsync())
            Assert.True(status.Term >= termsBefore[status.Node], $"{status.Node} went back from term {termsBefore[status.Node]} to {status.Term}");
        await cluster.ProposeAsync(Command("after-restart"));
    }
}
