using RaftOrleans.Simulation;
using static RaftOrleans.Raft.Tests.Dissertation.SimHelpers;

namespace RaftOrleans.Raft.Tests.Dissertation;

/// <summary>Lease reads (§6.4.1) rest on one promise: no voter that acknowledged the leader's heartbeat
/// round votes for anyone else within an election timeout of that round. Each test here breaks a way
/// that promise was broken (defects 2 and 3 of the safety review). The simulator's read check throws
/// when a read is answered with an index below what was already committed, so a stale lease read fails
/// the test at the moment it happens.</summary>
public sealed class LeaseSafetyTests
{
    // A lease of 19 ticks leaves room for a whole election inside it, as on a real network whose round
    // trips are much shorter than the election timeout.
    private static SimCluster LeaseCluster() => Cluster(3, adjust: o => o with { LeaseReads = true, ElectionTicks = 20 });

    [Fact]
    public void A_leader_that_started_a_transfer_serves_no_read_from_its_lease()
    {
        var cluster = LeaseCluster();
        var leader = cluster.ElectLeader();
        cluster.CommitEverywhere(3);
        cluster.Run(4); // a heartbeat round has been acknowledged: the lease holds
        var target = cluster.Nodes.First(n => n != leader);
        var other = cluster.Nodes.First(n => n != leader && n != target);

        // TimeoutNow leaves; then the old leader hears nobody (its own messages still go out).
        Assert.Null(cluster.TransferLeadership(leader.Id, target.Id));
        cluster.BlockOneWay(target.Id, leader.Id);
        cluster.BlockOneWay(other.Id, leader.Id);
        // The target wins (the other voter honours a transfer campaign despite the lease) and commits.
        Assert.True(cluster.RunUntil(() => target.Raft!.CommitIndex > leader.Raft!.CommitIndex, 8), Describe(cluster));
        Assert.Equal(Role.Leader, leader.Raft!.Role); // the old leader has not noticed yet

        cluster.RequestRead(leader.Id); // throws a SafetyViolationException if answered from the lease
        cluster.Run(5);
    }

    [Fact]
    public void A_restarted_follower_grants_no_vote_within_an_election_timeout_of_starting()
    {
        var cluster = LeaseCluster();
        var leader = cluster.ElectLeader();
        cluster.CommitEverywhere(3);
        var follower = cluster.Nodes.First(n => n != leader);
        var cutOff = cluster.Nodes.First(n => n != leader && n != follower);
        cluster.BlockOneWay(leader.Id, cutOff.Id);
        cluster.BlockOneWay(cutOff.Id, leader.Id);
        cluster.Run(4); // the follower renews the leader's lease

        // The follower restarts (forgetting whom it heard from) and is asked to vote before the
        // leader's next heartbeat reaches it.
        cluster.Crash(follower.Id);
        cluster.Restart(follower.Id);
        cluster.BlockOneWay(leader.Id, follower.Id);
        cluster.Campaign(cutOff.Id);
        cluster.RunUntil(() => cutOff.Raft!.CommitIndex > leader.Raft!.CommitIndex, 8);
        cluster.RequestRead(leader.Id); // throws a SafetyViolationException if answered from a broken lease
        cluster.Run(5);
        Assert.NotEqual(Role.Leader, cutOff.Raft!.Role);
    }
}
