using RaftOrleans.Contracts;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

/// <summary>What a node counts itself for the meter (NodeStatus.Counters): proposals by outcome, reads by
/// kind, elections started, and on the leader each follower's match index.</summary>
public sealed class NodeCountersTests
{
    [Fact]
    public async Task The_status_counts_proposals_by_outcome_reads_by_kind_and_the_leaders_view_of_each_follower()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3);
        var leader = await cluster.LeaderAsync();
        var follower = cluster.Nodes.First(n => n != leader);
        await cluster.ProposeAsync(Command("warm-up"));
        var leaderBefore = (await cluster.Node(leader).GetStatus()).Counters;
        var followerBefore = (await cluster.Node(follower).GetStatus()).Counters;

        for (var i = 0; i < 3; i++) Assert.Equal(ClientReplyStatus.Applied, (await cluster.Node(leader).Propose(Command($"c{i}"))).Status);
        Assert.Equal(ClientReplyStatus.NotLeader, (await cluster.Node(follower).Propose(Command("refused"))).Status);
        Assert.Equal(ClientReplyStatus.Applied, (await cluster.Node(leader).Read(Command("q"), allowStale: false)).Status);
        Assert.Equal(ClientReplyStatus.Applied, (await cluster.Node(follower).Read(Command("q"), allowStale: true)).Status);
        await cluster.SettledAsync();

        var leaderStatus = await cluster.Node(leader).GetStatus();
        var followerAfter = (await cluster.Node(follower).GetStatus()).Counters;
        var leaderAfter = leaderStatus.Counters;
        Assert.Equal(3, leaderAfter.ProposalsAccepted - leaderBefore.ProposalsAccepted);
        Assert.Equal(0, leaderAfter.ProposalsRefused - leaderBefore.ProposalsRefused);
        Assert.Equal(1, followerAfter.ProposalsRefused - followerBefore.ProposalsRefused);
        Assert.Equal(0, followerAfter.ProposalsAccepted - followerBefore.ProposalsAccepted);
        Assert.Equal(1, leaderAfter.ReadsLinearizable - leaderBefore.ReadsLinearizable);
        Assert.Equal(1, followerAfter.ReadsStale - followerBefore.ReadsStale);
        Assert.True(leaderAfter.ElectionsStarted >= 1, "the leader became leader without starting an election");
        Assert.Equal(cluster.Nodes.Where(n => n != leader).Order(), leaderAfter.FollowerMatch.Keys.Order());
        Assert.All(leaderAfter.FollowerMatch.Values, match => Assert.Equal(leaderStatus.LastLogIndex, match)); // settled: caught up
        Assert.Empty(followerAfter.FollowerMatch);
    }
}
