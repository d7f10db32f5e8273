using RaftOrleans.KeyValue.Raft;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.KeyValue;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

/// <summary>Membership changes one server at a time (dissertation §4.1-4.2) and leadership transfer (§3.10)
/// through the node grain: new nodes join with no configuration of their own, are added as learners and
/// promoted; members are removed, the leader included; the configuration survives restarts and snapshots.</summary>
public sealed class MembershipTests
{
    private static readonly TimeSpan ChangeDeadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_cluster_grows_from_three_to_five_voters_and_shrinks_back_keeping_every_entry_and_its_configuration_across_a_full_restart()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3);
        var voters = new List<string> { "n1", "n2", "n3" };
        for (var i = 0; i < 10; i++) await cluster.ProposeAsync(Command($"three-{i}"), voters);

        foreach (var joiner in new[] { "n4", "n5" })
        {
            await cluster.StartJoinerAsync(joiner);
            var added = await ChangeAsync(cluster, voters, MembershipChangeKind.AddLearner, joiner);
            Assert.Contains(joiner, added.Learners);
            Assert.DoesNotContain(joiner, added.Voters);
            var promoted = await ChangeAsync(cluster, voters, MembershipChangeKind.Promote, joiner);
            Assert.Contains(joiner, promoted.Voters);
            voters.Add(joiner);
            for (var i = 0; i < 5; i++) await cluster.ProposeAsync(Command($"with-{joiner}-{i}"), voters);
        }

        var five = voters.ToArray();
        var commit = (await cluster.StatusesAsync(five)).Max(s => s.CommitIndex);
        var grown = await cluster.AssertLogsAgreeAsync(five, commit);
        Assert.Equal(20, Commands(grown).Length);
        await AssertEveryNodeSeesVotersAsync(cluster, five);

        // Shrink by removing two of the original voters: what is left are the joiners and n3.
        foreach (var gone in new[] { "n1", "n2" })
        {
            var removed = await ChangeAsync(cluster, voters, MembershipChangeKind.Remove, gone);
            Assert.DoesNotContain(gone, removed.Voters);
            voters.Remove(gone);
            await cluster.ProposeAsync(Command($"without-{gone}"), voters);
        }
        var three = voters.ToArray();
        await AssertEveryNodeSeesVotersAsync(cluster, three);

        // Nothing survives in memory: the configuration comes back from each node's log, including on the
        // joiners, whose own settings name no voter at all.
        foreach (var node in three) await cluster.KillAsync(node);
        foreach (var node in three) await cluster.RestartAsync(node);
        await cluster.AgreedLeaderAsync(three, TimeSpan.FromSeconds(20));
        await AssertEveryNodeSeesVotersAsync(cluster, three);
        await cluster.ProposeAsync(Command("after-restart"), three);
        commit = (await cluster.StatusesAsync(three)).Max(s => s.CommitIndex);
        var final = await cluster.AssertLogsAgreeAsync(three, commit);
        Assert.Equal(Commands(grown).Concat(["without-n1", "without-n2", "after-restart"]), Commands(final));
    }

    [Fact]
    public async Task A_removed_leader_steps_down_once_the_change_commits_the_rest_elect_and_it_cannot_raise_their_term()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3);
        await cluster.ProposeAsync(Command("before"));
        var leader = await cluster.LeaderAsync();
        var rest = cluster.Nodes.Where(n => n != leader).ToArray();

        var removed = await cluster.Node(leader).ChangeMembership(MembershipChangeKind.Remove, leader);
        Assert.True(removed.Status == MembershipStatus.Done, removed.ToString());
        Assert.DoesNotContain(leader, removed.Voters);

        var statuses = await cluster.AgreedLeaderAsync(rest, TimeSpan.FromSeconds(15));
        var newTerm = statuses[0].Term;
        await Poll.UntilAsync(() => cluster.Node(leader).GetStatus(), s => s.Role != NodeRole.Leader, TimeSpan.FromSeconds(10),
            $"{leader} to step down", s => $"{s.Role} term {s.Term}");
        await cluster.ProposeAsync(Command("after"), rest);

        // The removed node keeps running; whatever it does, the remaining voters' term stays put (§4.2.3).
        await Poll.HoldsAsync(() => cluster.StatusesAsync(rest),
            s => s.Count < rest.Length || s.All(n => n.Term == newTerm),
            TimeSpan.FromMilliseconds(20 * 15 * 10), $"the term of {string.Join(",", rest)} to stay {newTerm}", ClusterViews.Describe);
        var removedView = await cluster.Node(leader).GetStatus();
        Assert.NotEqual(NodeRole.Leader, removedView.Role);
    }

    [Fact]
    public async Task Leadership_moves_to_each_voter_in_turn()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3);
        await cluster.ProposeAsync(Command("start"));
        foreach (var target in cluster.Nodes.Concat(cluster.Nodes))
        {
            var leader = await cluster.LeaderAsync();
            var reply = await cluster.Node(leader).TransferLeadership(target);
            Assert.True(reply.Status == MembershipStatus.Done, $"{leader} -> {target}: {reply}");
            var statuses = await cluster.AgreedLeaderAsync(cluster.Nodes);
            Assert.Equal(target, statuses.Single(s => s.Role == NodeRole.Leader).Node);
            await cluster.ProposeAsync(Command($"led-by-{target}"));
        }
    }

    [Fact]
    public async Task Bad_requests_get_a_clear_answer_and_change_nothing()
    {
        // A long election timeout and slow follower writes: a change stays uncommitted long enough to be seen.
        var storages = new System.Collections.Concurrent.ConcurrentDictionary<string, TestGrainStorage>();
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (node, silo) => TestGrainStorage.Install(silo, storage => storages[node] = storage),
            tune: s => s with { ElectionTicks = 100, HeartbeatTicks = 5 });
        await cluster.ProposeAsync(Command("start"));
        var leader = await cluster.LeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);

        var notLeader = await cluster.Node(follower).ChangeMembership(MembershipChangeKind.Remove, "n3");
        Assert.Equal(MembershipStatus.NotLeader, notLeader.Status);
        Assert.Equal(leader, notLeader.LeaderHint);
        var transferAtFollower = await cluster.Node(follower).TransferLeadership(follower);
        Assert.Equal(MembershipStatus.NotLeader, transferAtFollower.Status);

        await AssertRefusedAsync(cluster.Node(leader).ChangeMembership(MembershipChangeKind.AddLearner, "n9"), "unknown node n9");
        await AssertRefusedAsync(cluster.Node(leader).ChangeMembership(MembershipChangeKind.Remove, "n9"), "unknown node n9");
        await AssertRefusedAsync(cluster.Node(leader).ChangeMembership(MembershipChangeKind.Promote, "n9"), "unknown node n9");
        await AssertRefusedAsync(cluster.Node(leader).ChangeMembership(MembershipChangeKind.Promote, follower), "already a voter");
        await AssertRefusedAsync(cluster.Node(leader).TransferLeadership("n9"), "not a voter");

        // While one change is uncommitted (followers' writes are slow now), another is refused.
        await cluster.StartJoinerAsync("n4");
        foreach (var node in cluster.Nodes.Where(n => n != leader)) storages[node].WriteDelay = TimeSpan.FromMilliseconds(400);
        var first = cluster.Node(leader).ChangeMembership(MembershipChangeKind.AddLearner, "n4");
        await Poll.UntilAsync(() => cluster.Node(leader).GetMembership(), m => m.ChangePending, TimeSpan.FromSeconds(5), "the change to be pending");
        var second = await cluster.Node(leader).ChangeMembership(MembershipChangeKind.Remove, follower);
        Assert.True(second.Status == MembershipStatus.Pending, second.ToString());
        Assert.Contains(follower, second.Voters);
        Assert.True((await first).Status == MembershipStatus.Done, (await first).ToString());
        foreach (var node in cluster.Nodes.Where(n => n != leader)) storages[node].WriteDelay = TimeSpan.Zero;

        // A learner is not promoted before it has caught up (here: never, its silo is gone).
        await cluster.KillAsync("n4");
        for (var i = 0; i < 120; i++) await cluster.ProposeAsync(Command($"while-n4-is-down-{i}"));
        var behind = await cluster.Node(leader).ChangeMembership(MembershipChangeKind.Promote, "n4");
        Assert.True(behind.Status == MembershipStatus.LearnerBehind, behind.ToString());
        Assert.Contains("n4", behind.Learners);
    }

    [Fact]
    public async Task A_single_voter_cannot_be_removed_and_grows_by_adding_learners()
    {
        await using var cluster = await RaftTestCluster.StartAsync(1);
        await cluster.ProposeAsync(Command("alone"));
        await AssertRefusedAsync(cluster.Node("n1").ChangeMembership(MembershipChangeKind.Remove, "n1"), "last voter");
        var voters = new List<string> { "n1" };
        foreach (var joiner in new[] { "n2", "n3" })
        {
            await cluster.StartJoinerAsync(joiner);
            await ChangeAsync(cluster, voters, MembershipChangeKind.AddLearner, joiner);
            await ChangeAsync(cluster, voters, MembershipChangeKind.Promote, joiner);
            voters.Add(joiner);
        }
        await cluster.ProposeAsync(Command("three"), voters);
        var commit = (await cluster.StatusesAsync(voters)).Max(s => s.CommitIndex);
        Assert.Equal(["alone", "three"], Commands(await cluster.AssertLogsAgreeAsync(voters, commit)));
        // Three voters now: losing the first one leaves a majority that elects.
        await cluster.KillAsync("n1");
        await cluster.AgreedLeaderAsync(["n2", "n3"], TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task A_joiner_that_catches_up_by_snapshot_learns_the_configuration_from_it_and_keeps_it_across_a_restart()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (_, silo) => silo.UseStateMachine(new KvNodeStateMachineFactory()),
            tune: s => s with { SnapshotThresholdEntries = 20, SnapshotTrailingEntries = 2, LogSegmentEntries = 8 });
        for (var i = 0; i < 50; i++) await cluster.ProposeAsync(KeyValueTests.Command(new PutOperation($"k{i % 7}", $"v{i}")));
        await Poll.UntilAsync(() => cluster.StatusesAsync(), s => s.Count == 3 && s.All(n => n.FirstLogIndex > 1),
            TimeSpan.FromSeconds(20), "every node to compact its log", ClusterViews.Describe);

        await cluster.StartJoinerAsync("n4");
        var voters = new List<string>(cluster.Nodes);
        await ChangeAsync(cluster, voters, MembershipChangeKind.AddLearner, "n4");
        await ChangeAsync(cluster, voters, MembershipChangeKind.Promote, "n4");
        voters.Add("n4");
        var n4 = await cluster.Node("n4").GetStatus();
        Assert.True(n4.SnapshotIndex > 0, $"n4 caught up without a snapshot: {ClusterViews.Describe([n4])}");

        // Enough writes that n4 snapshots itself: its configuration then lives in its own snapshot.
        for (var i = 0; i < 40; i++) await cluster.ProposeAsync(KeyValueTests.Command(new PutOperation($"k{i % 7}", $"w{i}")), voters);
        await Poll.UntilAsync(() => cluster.Node("n4").GetStatus(), s => s.SnapshotIndex > n4.SnapshotIndex,
            TimeSpan.FromSeconds(20), "n4 to take a snapshot of its own", s => ClusterViews.Describe([s]));
        await cluster.KillAsync("n4");
        await cluster.RestartAsync("n4");
        await AssertEveryNodeSeesVotersAsync(cluster, voters);
        await cluster.ProposeAsync(KeyValueTests.Command(new PutOperation("after", "restart")), voters);
    }

    /// <summary>Asks the leader of <paramref name="voters"/> for the change, following hints and retrying
    /// while another change is pending or the learner catches up, until it is done; a refusal fails the test.</summary>
    internal static async Task<MembershipReply> ChangeAsync(RaftTestCluster cluster, IReadOnlyCollection<string> voters,
        MembershipChangeKind kind, string node)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        MembershipReply? last = null;
        while (clock.Elapsed < ChangeDeadline)
        {
            var leader = await cluster.LeaderAsync(voters);
            last = await cluster.Node(leader).ChangeMembership(kind, node);
            if (last.Status == MembershipStatus.Done) return last;
            Assert.True(last.Status != MembershipStatus.Refused, $"{kind} {node} refused: {last}");
            await Task.Delay(50);
        }
        throw new TimeoutException($"after {ChangeDeadline.TotalSeconds:0} s {kind} {node} is still not done; last answer: {last}");
    }

    private static async Task AssertRefusedAsync(Task<MembershipReply> call, string reason)
    {
        var reply = await call;
        Assert.True(reply.Status == MembershipStatus.Refused, reply.ToString());
        Assert.Contains(reason, reply.Reason);
    }

    private static Task AssertEveryNodeSeesVotersAsync(RaftTestCluster cluster, IReadOnlyCollection<string> voters) =>
        Poll.UntilAsync(() => Task.WhenAll(voters.Select(v => cluster.Node(v).GetMembership())),
            views => views.All(view => view.Members.Where(m => m.Voter).Select(m => m.Node).Order().SequenceEqual(voters.Order())
                                       && view.Members.All(m => m.Voter)),
            TimeSpan.FromSeconds(15), $"every node to see voters {string.Join(",", voters)}",
            views => string.Join("; ", views.Select(v => $"{v.Node}: {string.Join(",", v.Members.Select(m => m.Node + (m.Voter ? "" : "(learner)")))}")));
}
