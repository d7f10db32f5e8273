using System.Diagnostics;
using RaftOrleans.Contracts;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

/// <summary>The fault filter between node grains (issue 6): each fault kind, set through the same grain
/// the console uses, changes who can lead and what commits; client calls are never touched.</summary>
public sealed class NetworkFaultTests
{
    // Short propose timeout: a proposal at a cut-off leader answers Unknown after this, not after 3 s.
    private static Task<RaftTestCluster> StartAsync(int nodes = 3, int proposeTimeoutMs = 800) =>
        RaftTestCluster.StartAsync(nodes, tune: s => s with { ProposeTimeoutMs = proposeTimeoutMs });

    [Fact]
    public async Task A_partition_that_leaves_the_leader_in_a_minority_elects_a_new_leader_and_heal_replaces_the_old_leaders_uncommitted_entry()
    {
        await using var cluster = await StartAsync(5);
        await cluster.ProposeAsync(Command("before"));
        var oldLeader = await cluster.LeaderAsync();
        var minority = new[] { oldLeader, cluster.Nodes.First(n => n != oldLeader) };
        var majority = cluster.Nodes.Except(minority).ToArray();
        await cluster.SetFaultsAsync(t => t.WithPartition([minority, majority]));

        var majorityView = await cluster.AgreedLeaderAsync(majority);
        var oldStatus = await cluster.Node(oldLeader).GetStatus();
        Assert.True(majorityView[0].Term > oldStatus.Term || oldStatus.Role != NodeRole.Leader, ClusterViews.Describe(majorityView));

        // The old leader (if it still believes it leads) cannot commit: no majority answers it.
        var stranded = await cluster.Node(oldLeader).Propose(Command("stranded"));
        Assert.NotEqual(ClientReplyStatus.Applied, stranded.Status);
        Assert.Equal(oldStatus.CommitIndex, (await cluster.Node(oldLeader).GetStatus()).CommitIndex);
        await cluster.ProposeAsync(Command("in-majority"), majority);

        await cluster.SetFaultsAsync(t => NetworkFaultTable.None);
        var all = await cluster.AgreedLeaderAsync(cluster.Nodes);
        Assert.Contains(all.Single(s => s.Role == NodeRole.Leader).Node, majority);
        await cluster.ProposeAsync(Command("after-heal"));
        var commit = (await cluster.StatusesAsync()).Max(s => s.CommitIndex);
        var log = Commands(await cluster.AssertLogsAgreeAsync(cluster.Nodes, commit));
        Assert.Equal(["before", "in-majority", "after-heal"], log);
    }

    [Fact]
    public async Task A_leader_cut_one_way_from_its_followers_is_replaced_yet_still_receives_and_applies_the_new_leaders_entries()
    {
        await using var cluster = await StartAsync();
        var oldLeader = await cluster.LeaderAsync();
        var followers = cluster.Nodes.Where(n => n != oldLeader).ToArray();
        // The old leader's answers will be lost, so the new leader can never back up past an entry it lacks:
        // cut only once every node holds the same, committed log.
        await Poll.UntilAsync(() => cluster.StatusesAsync(),
            s => s.Select(x => x.LastLogIndex).Distinct().Count() == 1 && s.All(x => x.CommitIndex == x.LastLogIndex),
            TimeSpan.FromSeconds(10), "every node holding the same committed log", ClusterViews.Describe);
        await cluster.SetFaultsAsync(t => followers.Aggregate(t, (table, f) => table.WithOneWayCut(oldLeader, f)));

        var view = await Poll.UntilAsync(() => cluster.StatusesAsync(followers),
            s => s.Count == 2 && s.Count(x => x.Role == NodeRole.Leader) == 1 && s.All(x => x.Leader is not null && x.Leader != oldLeader),
            TimeSpan.FromSeconds(10), "a new leader among the followers", ClusterViews.Describe);
        await cluster.ProposeAsync(Command("one-way"), followers);
        var commit = (await cluster.StatusesAsync(followers)).Max(s => s.CommitIndex);
        // Followers -> old leader still works: it steps down and applies what the others committed,
        // although none of its answers gets back.
        await Poll.UntilAsync(() => cluster.Node(oldLeader).GetStatus(),
            s => s.Role != NodeRole.Leader && s.AppliedIndex >= commit, TimeSpan.FromSeconds(10),
            $"{oldLeader} to follow and apply {commit}", s => ClusterViews.Describe([s]));
        Assert.Contains(view.Single(s => s.Role == NodeRole.Leader).Node, followers);
    }

    [Fact]
    public async Task An_isolated_follower_still_answers_client_calls_while_the_others_keep_committing()
    {
        await using var cluster = await StartAsync();
        var leader = await cluster.LeaderAsync();
        var isolated = cluster.Nodes.First(n => n != leader);
        await cluster.SetFaultsAsync(t => t.WithIsolated(isolated));
        await cluster.ProposeAsync(Command("without-it"), cluster.Nodes.Where(n => n != isolated).ToArray());

        // Client calls to the isolated node go straight through the filter: quick answers, not timeouts.
        var clock = Stopwatch.StartNew();
        var status = await cluster.Node(isolated).GetStatus();
        var reply = await cluster.Node(isolated).Propose(Command("refused"));
        Assert.Equal(isolated, status.Node);
        Assert.NotEqual(0, status.FaultsVersion);
        Assert.Equal(ClientReplyStatus.NotLeader, reply.Status);
        Assert.True(clock.ElapsedMilliseconds < 700, $"client calls to the isolated node took {clock.ElapsedMilliseconds} ms");

        // It hears nothing, so it does not learn the new entry until heal.
        var commit = (await cluster.Node(leader).GetStatus()).CommitIndex;
        Assert.True((await cluster.Node(isolated).GetStatus()).CommitIndex < commit);
        await cluster.SetFaultsAsync(_ => NetworkFaultTable.None);
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, commit);
    }

    [Fact]
    public async Task Dropping_every_message_of_the_leader_behaves_like_isolating_it_and_a_30_percent_drop_still_commits()
    {
        await using var cluster = await StartAsync();
        var oldLeader = await cluster.LeaderAsync();
        var others = cluster.Nodes.Where(n => n != oldLeader).ToArray();
        await cluster.SetFaultsAsync(t => t.WithDrop(oldLeader, 1.0));
        var view = await cluster.AgreedLeaderAsync(others);
        Assert.DoesNotContain(oldLeader, view.Select(s => s.Leader));
        Assert.NotEqual(ClientReplyStatus.Applied, (await cluster.Node(oldLeader).Propose(Command("lost"))).Status);

        // 30% of the new leader's messages, both ways, are lost: retries and heartbeats still get through.
        var newLeader = view.Single(s => s.Role == NodeRole.Leader).Node;
        await cluster.SetFaultsAsync(t => t.WithDrop(oldLeader, 0).WithDrop(newLeader, 0.3));
        for (var i = 0; i < 10; i++) await cluster.ProposeAsync(Command($"lossy-{i}"));
        var commit = (await cluster.StatusesAsync()).Max(s => s.CommitIndex);
        var log = Commands(await cluster.AssertLogsAgreeAsync(cluster.Nodes, commit));
        // A proposal answered Unknown (its ack was lost) is retried and may apply twice: the helper has no
        // client sessions. What must hold: every command applied, in order, and nothing else.
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"lossy-{i}"), log.Distinct());
    }

    [Fact]
    public async Task A_delay_on_every_node_slows_each_commit_by_at_least_a_round_trip_but_everything_commits()
    {
        // A commit here waits for delayed messages, and on a busy 2-core machine for CPU as well: the proposal's
        // own time limit must not be what this test measures.
        await using var cluster = await StartAsync(proposeTimeoutMs: 5000);
        await cluster.ProposeAsync(Command("warm-up"));
        // 40 ms at each end: 80 ms per message, so a commit (append out, ack back) waits at least 160 ms.
        await cluster.SetFaultsAsync(t => cluster.Nodes.Aggregate(t, (table, n) => table.WithDelay(n, 40, 0)));
        var leader = await cluster.LeaderAsync();
        for (var i = 0; i < 5; i++)
        {
            var clock = Stopwatch.StartNew();
            var reply = await cluster.Node(leader).Propose(Command($"slow-{i}"));
            Assert.Equal(ClientReplyStatus.Applied, reply.Status);
            Assert.True(clock.ElapsedMilliseconds >= 150, $"commit {i} took {clock.ElapsedMilliseconds} ms: the delay was not applied");
        }
        Assert.Equal(leader, await cluster.LeaderAsync());
    }

    [Fact]
    public async Task A_restarted_silo_picks_up_the_faults_from_its_peers_and_stays_partitioned()
    {
        await using var cluster = await StartAsync();
        var leader = await cluster.LeaderAsync();
        var victim = cluster.Nodes.First(n => n != leader);
        await cluster.KillAsync(victim);
        var alive = cluster.Nodes.Where(n => n != victim).ToArray();
        var table = await cluster.SetFaultsAsync(t => t.WithIsolated(victim), alive);

        await cluster.RestartAsync(victim);
        var status = await Poll.UntilAsync(() => cluster.Node(victim).GetStatus(), s => s.FaultsVersion == table.Version,
            TimeSpan.FromSeconds(10), $"{victim} to enforce faults v{table.Version}", s => $"v{s.FaultsVersion}: {s.Faults}");
        Assert.Equal($"isolated {victim}", status.Faults);
        await cluster.ProposeAsync(Command("while-isolated"), alive);
        var commit = (await cluster.Node(leader).GetStatus()).CommitIndex;
        Assert.True((await cluster.Node(victim).GetStatus()).CommitIndex < commit);
    }
}

public static class FaultControl
{
    /// <summary>Edits the newest table any node holds and sets the result on <paramref name="nodes"/> (all
    /// by default), as `raftctl` does; returns the new table.</summary>
    public static async Task<NetworkFaultTable> SetFaultsAsync(this RaftTestCluster cluster, Func<NetworkFaultTable, NetworkFaultTable> edit,
        IReadOnlyCollection<string>? nodes = null)
    {
        nodes ??= cluster.Nodes;
        var tables = await Task.WhenAll(nodes.Select(n => cluster.Client.GetGrain<INetworkFaultsGrain>(n).Get()));
        var newest = tables.MaxBy(t => t.Version)!;
        var next = edit(newest) with { Version = newest.Version + 1 };
        var set = await Task.WhenAll(nodes.Select(n => cluster.Client.GetGrain<INetworkFaultsGrain>(n).Set(next)));
        Assert.All(set, t => Assert.Equal(next.Version, t.Version));
        return next;
    }
}
