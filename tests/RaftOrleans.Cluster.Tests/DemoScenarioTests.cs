using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using static RaftOrleans.Cluster.Tests.LogChecks;
using static RaftOrleans.Cluster.Tests.TransportRetry;

namespace RaftOrleans.Cluster.Tests;

/// <summary>
/// The four scenarios of `./raftctl demo` (src/RaftOrleans.Cli/Demo/DemoScenarios.cs, issue 6), step for
/// step on the in-process cluster: five voters n1..n5, silos killed and started as the demo kills and
/// starts processes, network faults through the same fault grains `raftctl partition` uses.
/// </summary>
public sealed class DemoScenarioTests
{
    // Election timeouts of 400-800 ms. Check-quorum (once per 400 ms) then lets a leader that lost its
    // majority lead on for about 350 ms or more after the last answer of a lost peer: the window in which
    // the log-conflict and partition scenarios hand it commands that must be appended but never commit.
    private const int ElectionTicks = 40;
    private const int TickIntervalMs = 10;

    // Several maximum election timeouts: long enough for every node to time out and campaign more than once.
    private static readonly TimeSpan NoLeaderWindow = TimeSpan.FromMilliseconds(3 * 2 * ElectionTicks * TickIntervalMs);

    private static RaftNodeSettings DemoTiming(RaftNodeSettings settings) => settings with
    {
        TickIntervalMs = TickIntervalMs,
        ElectionTicks = ElectionTicks,
        HeartbeatTicks = 5,
        // A command at a leader without a majority answers Unknown after this long.
        ProposeTimeoutMs = 1500,
    };

    [Fact]
    public async Task DemoScenario_Election_one_or_two_of_five_cannot_elect_three_can_joiners_keep_the_leader_and_three_leader_crashes_leave_two_that_cannot_elect()
    {
        await using var cluster = await RaftTestCluster.StartAsync(5, tune: DemoTiming, startFirst: ["n1"]);
        await CampaignsButElectsNoLeaderAsync(cluster, ["n1"]);

        await cluster.StartNodeAsync("n2");
        await CampaignsButElectsNoLeaderAsync(cluster, ["n1", "n2"]);

        await cluster.StartNodeAsync("n3");
        var first = LeaderOf(await cluster.AgreedLeaderAsync(["n1", "n2", "n3"]));

        await cluster.StartNodeAsync("n4");
        await cluster.StartNodeAsync("n5");
        var joined = LeaderOf(await cluster.AgreedLeaderAsync(cluster.Nodes));
        Assert.True(joined.Node == first.Node && joined.Term == first.Term,
            $"{first.Node} led in term {first.Term} before n4 and n5 joined; after: {joined.Node} in term {joined.Term}");

        var up = cluster.Nodes.ToList();
        var current = joined;
        for (var crash = 1; crash <= 2; crash++)
        {
            await cluster.KillAsync(current.Node);
            up.Remove(current.Node);
            var next = LeaderOf(await cluster.AgreedLeaderAsync(up));
            Assert.True(next.Term > current.Term, $"crash {crash}: {next.Node} leads in term {next.Term}, not after {current.Node}'s term {current.Term}");
            current = next;
        }

        await cluster.KillAsync(current.Node);
        up.Remove(current.Node);
        Assert.Equal(2, up.Count);
        await CampaignsButElectsNoLeaderAsync(cluster, up);
    }

    [Fact]
    public async Task DemoScenario_Replication_two_crashed_followers_do_not_stop_commits_and_catch_up_on_restart()
    {
        await using var cluster = await RaftTestCluster.StartAsync(5, tune: DemoTiming);
        var leader = await cluster.LeaderAsync();
        var expected = new List<string>();
        for (var i = 0; i < 5; i++) await ProposeAndRecordAsync(cluster, $"all-up-{i}", expected);

        var crashed = cluster.Nodes.Where(n => n != leader).Take(2).ToArray();
        var survivors = cluster.Nodes.Except(crashed).ToArray();
        foreach (var node in crashed) await cluster.KillAsync(node);
        for (var i = 0; i < 5; i++) await ProposeAndRecordAsync(cluster, $"two-down-{i}", expected, survivors);
        var commit = (await cluster.StatusesAsync(survivors)).Max(s => s.CommitIndex);

        foreach (var node in crashed) await cluster.RestartAsync(node);
        var caughtUp = await cluster.CaughtUpAsync(crashed);
        Assert.True(caughtUp.All(s => s.CommitIndex >= commit), ClusterViews.Describe(caughtUp));
        var log = await cluster.AssertLogsAgreeAsync(cluster.Nodes, commit);
        Assert.Equal(expected, Commands(log));
    }

    [Fact]
    public async Task DemoScenario_LogConflicts_entries_a_crashed_minority_could_not_commit_are_replaced_by_the_new_leaders_log()
    {
        await using var cluster = await RaftTestCluster.StartAsync(5, tune: DemoTiming);
        var (leader, committed) = await CommitEverywhereAsync(cluster, "committed-first");
        var partner = cluster.Nodes.First(n => n != leader);
        var others = cluster.Nodes.Where(n => n != leader && n != partner).ToArray();

        // Cut off first and crash after: the commands must reach the leader within its check-quorum window,
        // and three crashes one after another can outlast it on a busy machine.
        await cluster.SetFaultsAsync(t => t.WithPartition([[leader, partner], others]));
        var stranded = await StrandCommandsAsync(cluster, leader, committed, "uncommitted");
        // Replicated to two, the leader and its partner, which is all the old term's entries will ever reach.
        await Poll.UntilAsync(() => cluster.Node(partner).GetStatus(), s => s.LastLogIndex == stranded.LastIndex,
            TimeSpan.FromSeconds(5), $"{partner} to hold the uncommitted entries up to {stranded.LastIndex}", s => ClusterViews.Describe([s]));
        foreach (var node in others) await cluster.KillAsync(node);
        await ReachAsync(() => cluster.SetFaultsAsync(_ => NetworkFaultTable.None, [leader, partner]));

        await cluster.KillAsync(leader);
        await cluster.KillAsync(partner);
        foreach (var node in others) await cluster.RestartAsync(node);
        var fresh = LeaderOf(await cluster.AgreedLeaderAsync(others));
        Assert.True(fresh.Term > stranded.Term, $"{fresh.Node} leads in term {fresh.Term}, not after {stranded.Term}");
        var lastIndex = 0L;
        for (var i = 0; i < 3; i++) lastIndex = (await cluster.ProposeAsync(Command($"new-leader-{i}"), others)).Index;
        Assert.True(lastIndex >= stranded.LastIndex, $"the new leader's log ends at {lastIndex}, before {stranded.LastIndex}");

        await cluster.RestartAsync(leader);
        await cluster.RestartAsync(partner);
        await cluster.CaughtUpAsync([leader, partner]);
        var log = await cluster.AssertLogsAgreeAsync(cluster.Nodes, lastIndex);
        await AssertStrandedEntriesReplacedAsync(cluster, [leader, partner], stranded, log);
        Assert.Equal(["committed-first", "new-leader-0", "new-leader-1", "new-leader-2"], Commands(log));
    }

    [Fact]
    public async Task DemoScenario_Partition_a_minority_leader_cannot_commit_the_majority_elects_and_commits_heal_replaces_the_old_leaders_entries_and_prevote_keeps_the_leader()
    {
        await using var cluster = await RaftTestCluster.StartAsync(5, tune: DemoTiming);
        var (oldLeader, committed) = await CommitEverywhereAsync(cluster, "before-partition");
        var minority = new[] { oldLeader, cluster.Nodes.First(n => n != oldLeader) };
        var majority = cluster.Nodes.Except(minority).ToArray();

        await cluster.SetFaultsAsync(t => t.WithPartition([minority, majority]));
        var stranded = await StrandCommandsAsync(cluster, oldLeader, committed, "minority");
        // Check-quorum (§6.2): hearing from no majority, the old leader steps down even before the heal.
        await Poll.UntilAsync(() => cluster.Node(oldLeader).GetStatus(), s => s.Role != NodeRole.Leader, TimeSpan.FromSeconds(5),
            $"{oldLeader}, cut off from a majority, to step down", s => ClusterViews.Describe([s]));

        var fresh = LeaderOf(await cluster.AgreedLeaderAsync(majority));
        Assert.True(fresh.Term > stranded.Term, $"{fresh.Node} leads in term {fresh.Term}, not after {stranded.Term}");
        var lastIndex = 0L;
        for (var i = 0; i < 3; i++) lastIndex = (await cluster.ProposeAsync(Command($"majority-{i}"), majority)).Index;

        await cluster.SetFaultsAsync(_ => NetworkFaultTable.None);
        var healed = await cluster.CaughtUpAsync(minority);
        Assert.Equal(fresh.Node, LeaderOf(healed).Node);
        var log = await cluster.AssertLogsAgreeAsync(cluster.Nodes, lastIndex);
        await AssertStrandedEntriesReplacedAsync(cluster, minority, stranded, log);
        Assert.Equal(["before-partition", "majority-0", "majority-1", "majority-2"], Commands(log));

        // Pre-vote (§9.6): an isolated follower campaigns without raising its term, so when it comes back
        // it has no higher term to depose the leader with.
        var leading = LeaderOf(await cluster.AgreedLeaderAsync(cluster.Nodes));
        var follower = majority.First(n => n != leading.Node);
        await cluster.SetFaultsAsync(t => t.WithIsolated(follower));
        await Poll.UntilAsync(() => cluster.Node(follower).GetStatus(), s => s.Role == NodeRole.PreCandidate, TimeSpan.FromSeconds(5),
            $"isolated {follower} to campaign by pre-vote", s => ClusterViews.Describe([s]));
        await Poll.HoldsAsync(() => cluster.Node(follower).GetStatus(), s => s.Term == leading.Term && s.Role != NodeRole.Candidate,
            NoLeaderWindow, $"isolated {follower} to stay in term {leading.Term}, pre-voting only", s => ClusterViews.Describe([s]));
        await cluster.SetFaultsAsync(_ => NetworkFaultTable.None);
        await cluster.CaughtUpAsync([follower]);
        var rejoined = LeaderOf(await cluster.AgreedLeaderAsync(cluster.Nodes));
        Assert.True(rejoined.Node == leading.Node && rejoined.Term == leading.Term,
            $"{leading.Node} led in term {leading.Term} before {follower} was isolated; after it rejoined: {rejoined.Node} in term {rejoined.Term}");
    }

    private static NodeStatus LeaderOf(IReadOnlyList<NodeStatus> statuses) => statuses.Single(s => s.Role == NodeRole.Leader);

    /// <summary>The running <paramref name="nodes"/>, fewer than a majority of five, campaign (one is seen
    /// pre-voting or voting) and yet none becomes leader over several election timeouts.</summary>
    private static async Task CampaignsButElectsNoLeaderAsync(RaftTestCluster cluster, IReadOnlyCollection<string> nodes)
    {
        var described = string.Join(",", nodes);
        await Poll.UntilAsync(() => cluster.StatusesAsync(nodes), s => s.Any(n => n.Role is NodeRole.PreCandidate or NodeRole.Candidate), TimeSpan.FromSeconds(5),
            $"one of {described} to campaign", ClusterViews.Describe);
        await Poll.HoldsAsync(() => cluster.StatusesAsync(nodes), s => s.All(n => n.Role != NodeRole.Leader), NoLeaderWindow,
            $"no leader among {described}", ClusterViews.Describe);
    }

    /// <summary>Commits <paramref name="command"/> and waits until all five nodes have applied it, so the
    /// scenario's later faults start from one shared log; returns the leader and its commit index.</summary>
    private static async Task<(string Leader, long CommitIndex)> CommitEverywhereAsync(RaftTestCluster cluster, string command)
    {
        var reply = await cluster.ProposeAsync(Command(command));
        await cluster.AssertLogsAgreeAsync(cluster.Nodes, reply.Index);
        var leader = LeaderOf(await cluster.AgreedLeaderAsync(cluster.Nodes));
        return (leader.Node, leader.CommitIndex);
    }

    private static async Task ProposeAndRecordAsync(RaftTestCluster cluster, string command, List<string> applied,
        IReadOnlyCollection<string>? nodes = null)
    {
        await cluster.ProposeAsync(Command(command), nodes);
        applied.Add(command);
    }

    /// <summary>Uncommitted entries a leader appended in <see cref="Term"/> at <see cref="FirstIndex"/>..<see cref="LastIndex"/>,
    /// holding commands named <see cref="Prefix"/>-0, -1, -2.</summary>
    private sealed record StrandedEntries(long FirstIndex, long LastIndex, long Term, string Prefix);

    /// <summary>Hands three commands at once to <paramref name="leader"/>, which has lost its majority but
    /// does not know yet: it appends them right after <paramref name="committed"/>, and none can commit, so
    /// each proposal ends Unknown.</summary>
    private static async Task<StrandedEntries> StrandCommandsAsync(RaftTestCluster cluster, string leader, long committed, string prefix)
    {
        var replies = await Task.WhenAll(Enumerable.Range(0, 3).Select(i =>
            ReachAsync(() => cluster.Node(leader).Propose(Command($"{prefix}-{i}")))));
        Assert.All(replies, reply => Assert.Equal(ClientReplyStatus.Unknown, reply.Status));
        Assert.Equal([committed + 1, committed + 2, committed + 3], replies.Select(r => r.Index).Order());
        var term = Assert.Single(replies.Select(r => r.Term).Distinct());
        var status = await ReachAsync(() => cluster.Node(leader).GetStatus());
        Assert.True(status.CommitIndex == committed && status.LastLogIndex == committed + 3,
            $"{leader} was expected to hold 3 uncommitted entries after commit {committed}: {ClusterViews.Describe([status])}");
        return new StrandedEntries(committed + 1, committed + 3, term, prefix);
    }

    /// <summary>The indexes that held the stranded, uncommitted entries now hold the new leader's committed
    /// entries, of a later term, on every returning node; no stranded command was committed anywhere.</summary>
    private static async Task AssertStrandedEntriesReplacedAsync(RaftTestCluster cluster, IReadOnlyCollection<string> returning,
        StrandedEntries stranded, CommittedEntry[] agreedLog)
    {
        var count = (int)(stranded.LastIndex - stranded.FirstIndex + 1);
        var newLeaders = agreedLog.Skip((int)stranded.FirstIndex - 1).Take(count).ToArray();
        Assert.Equal(count, newLeaders.Length);
        Assert.All(newLeaders, e => Assert.True(e.Term > stranded.Term, $"entry {e.Index} is of term {e.Term}, not after {stranded.Term}"));
        foreach (var node in returning)
        {
            var held = await ReachAsync(() => cluster.Node(node).ReadCommittedLog(stranded.FirstIndex, count));
            Assert.Equal(newLeaders.Select(e => (e.Index, e.Term, e.Kind, Convert.ToHexString(e.Data))),
                held.Select(e => (e.Index, e.Term, e.Kind, Convert.ToHexString(e.Data))));
        }
        Assert.DoesNotContain(Commands(agreedLog), c => c.StartsWith(stranded.Prefix, StringComparison.Ordinal));
    }
}
