using static RaftOrleans.Raft.Tests.Dissertation.SimHelpers;

namespace RaftOrleans.Raft.Tests.Dissertation;

/// <summary>Leadership transfer (dissertation §3.10).</summary>
public sealed class LeadershipTransferTests
{
    [Fact]
    public void Transfer_to_an_up_to_date_follower_elects_it_without_waiting_for_a_timeout()
    {
        var cluster = Cluster(5);
        var leader = cluster.ElectLeader();
        cluster.CommitEverywhere(10);
        var target = cluster.Nodes.First(n => n != leader);
        var term = leader.Raft!.Term;
        Assert.Null(cluster.TransferLeadership(leader.Id, target.Id));
        Assert.Equal(ProposeOutcome.TransferInProgress, cluster.Propose(leader.Id, Command("during")).Outcome);
        // Well below the election timeout of 10 ticks: TimeoutNow, a vote round, done.
        Assert.True(cluster.RunUntil(() => cluster.Leader() == target, 8), Describe(cluster));
        Assert.Equal(term + 1, target.Raft!.Term);
        cluster.CommitEverywhere(3, prefix: "after");
    }

    [Fact]
    public void A_lagging_target_is_brought_up_to_date_first()
    {
        var cluster = Cluster(3);
        var leader = cluster.ElectLeader();
        var target = cluster.Nodes.First(n => n != leader);
        cluster.Isolate(target.Id);
        cluster.CommitEverywhere(30);
        cluster.Heal();
        Assert.Null(cluster.TransferLeadership(leader.Id, target.Id));
        Assert.True(cluster.RunUntil(() => cluster.Leader() == target, 100), Describe(cluster));
        Assert.True(target.Raft!.CommitIndex >= 31);
    }

    [Fact]
    public void Transfer_aborts_after_an_election_timeout_and_proposals_resume()
    {
        var cluster = Cluster(3);
        var leader = cluster.ElectLeader();
        cluster.CommitEverywhere(3);
        var target = cluster.Nodes.First(n => n != leader);
        cluster.Crash(target.Id);
        Assert.Null(cluster.TransferLeadership(leader.Id, target.Id));
        Assert.Equal(ProposeOutcome.TransferInProgress, cluster.Propose(leader.Id, Command("x")).Outcome);
        cluster.Run(10);
        Assert.Same(leader, cluster.Leader());
        Assert.True(cluster.Propose(leader.Id, Command("y")).IsAccepted);
    }

    [Fact]
    public void Transfer_is_refused_when_it_cannot_happen()
    {
        var cluster = Cluster(3);
        var leader = cluster.ElectLeader();
        var follower = cluster.Nodes.First(n => n != leader);
        Assert.NotNull(cluster.TransferLeadership(follower.Id, leader.Id)); // not the leader
        Assert.NotNull(cluster.TransferLeadership(leader.Id, leader.Id));   // already leads
        Assert.NotNull(cluster.TransferLeadership(leader.Id, "n9"));        // not a voter
    }
}
