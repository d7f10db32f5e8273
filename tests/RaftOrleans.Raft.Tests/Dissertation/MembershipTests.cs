using RaftOrleans.Simulation;
using static RaftOrleans.Raft.Tests.Dissertation.SimHelpers;

namespace RaftOrleans.Raft.Tests.Dissertation;

/// <summary>Membership changes one server at a time (dissertation §4.1-4.2).</summary>
public sealed class MembershipTests
{
    private static readonly string[] Initial = ["n1", "n2", "n3"];

    /// <summary>n1..n3 form the cluster; n4 and n5 run but start outside it, with no configuration.</summary>
    private static SimCluster ClusterWithSpares(int seed = 1) =>
        new(Ids(5), seed, id => SimCluster.DefaultOptions(id, Initial.Contains(id) ? Initial : []));

    private static void Commit(SimCluster cluster, ConfigChange change)
    {
        var leader = cluster.ElectLeader();
        // A new leader takes changes only once its no-op is committed: give it the ticks that takes.
        cluster.RunUntil(() => leader.Raft!.TermAt(leader.Raft.CommitIndex) == leader.Raft.Term, 100);
        var result = cluster.ChangeMembership(leader.Id, change);
        Assert.True(result.IsAccepted, $"{change} refused: {result.Outcome} {result.Reason}");
        Assert.True(cluster.RunUntil(() => cluster.Leader() is { } l && l.Raft!.CommitIndex >= result.Index, 500),
            $"{change} did not commit: {Describe(cluster)}");
    }

    [Fact]
    public void A_node_outside_the_configuration_never_campaigns()
    {
        var cluster = ClusterWithSpares();
        cluster.Run(300);
        Assert.Equal(0, cluster["n4"].Raft!.Term);
        Assert.Contains(cluster.Leader()!.Id, Initial);
    }

    [Fact]
    public void Learner_catches_up_without_voting_then_is_promoted()
    {
        var cluster = ClusterWithSpares();
        cluster.CommitEverywhere(30);
        Commit(cluster, new ConfigChange(ConfigChangeType.AddLearner, "n4"));
        cluster.CommitEverywhere(5, prefix: "l");
        var learner = cluster["n4"].Raft!;
        Assert.True(learner.Config.IsLearner("n4"));
        Assert.Equal(Role.Follower, learner.Role); // a learner follows; it only does not vote
        Assert.Equal(cluster.Leader()!.Raft!.CommitIndex, learner.CommitIndex);
        // A learner is not counted: the quorum of the three voters is still two.
        Assert.Equal(2, cluster.Leader()!.Raft!.Config.Quorum);
        Commit(cluster, new ConfigChange(ConfigChangeType.AddVoter, "n4"));
        Assert.True(cluster["n4"].Raft!.Config.IsVoter("n4"));
        Assert.Equal(3, cluster.Leader()!.Raft!.Config.Quorum);
        cluster.CommitEverywhere(5, prefix: "v");
    }

    /// <summary>Defect 1 of the safety review: a node that joins with no configuration must end up with the
    /// leader's configuration, not one built from change entries on an empty base. With {n4} as its own
    /// configuration (quorum 1), n4 cut off from the leader elected itself and committed alone.</summary>
    [Fact]
    public void A_joining_node_learns_the_whole_configuration_and_cannot_elect_itself_alone()
    {
        var cluster = ClusterWithSpares();
        cluster.CommitEverywhere(10);
        Commit(cluster, new ConfigChange(ConfigChangeType.AddLearner, "n4"));
        cluster.CommitEverywhere(3, prefix: "l");
        Commit(cluster, new ConfigChange(ConfigChangeType.AddVoter, "n4"));
        cluster.CommitEverywhere(3, prefix: "v");
        var leader = cluster.Leader()!;
        Assert.Equal(leader.Raft!.Config, cluster["n4"].Raft!.Config);

        // The leader's messages to n4 are lost for many election timeouts: n4 alone is no quorum of four.
        cluster.Isolate("n4");
        cluster.Run(300);
        Assert.NotEqual(Role.Leader, cluster["n4"].Raft!.Role);
        Assert.Equal(leader.Id, cluster.Leader()!.Id);
    }

    [Fact]
    public void A_lagging_learner_is_not_promoted()
    {
        var cluster = ClusterWithSpares();
        cluster.ElectLeader();
        Commit(cluster, new ConfigChange(ConfigChangeType.AddLearner, "n4"));
        cluster.Crash("n4");
        cluster.CommitEverywhere(40);
        var result = cluster.ChangeMembership(cluster.Leader()!.Id, new ConfigChange(ConfigChangeType.AddVoter, "n4"));
        Assert.Equal(ProposeOutcome.ConfigChangeRefused, result.Outcome);
        Assert.Contains("behind", result.Reason);
    }

    [Fact]
    public void Only_one_change_at_a_time_and_not_before_the_leader_commits_in_its_term()
    {
        var cluster = ClusterWithSpares();
        var leader = cluster.ElectLeader();
        cluster.CommitEverywhere(3);
        var first = cluster.ChangeMembership(leader.Id, new ConfigChange(ConfigChangeType.AddLearner, "n4"));
        Assert.True(first.IsAccepted);
        var second = cluster.ChangeMembership(leader.Id, new ConfigChange(ConfigChangeType.AddLearner, "n5"));
        Assert.Equal(ProposeOutcome.ConfigChangeRefused, second.Outcome);

        // A fresh leader must first commit an entry of its own term (its no-op).
        var fresh = ClusterWithSpares(seed: 2);
        var newLeader = fresh.ElectLeader();
        var early = fresh.ChangeMembership(newLeader.Id, new ConfigChange(ConfigChangeType.AddLearner, "n4"));
        Assert.Equal(ProposeOutcome.ConfigChangeRefused, early.Outcome);
    }

    [Fact]
    public void Removed_follower_no_longer_counts_and_does_not_disrupt()
    {
        var cluster = Cluster(5);
        var leader = cluster.ElectLeader();
        var removed = cluster.Nodes.First(n => n != leader).Id;
        Commit(cluster, new ConfigChange(ConfigChangeType.RemoveNode, removed));
        var termAfterRemoval = cluster.Leader()!.Raft!.Term;
        // The removed server hears from no leader any more; its campaigns must not depose the leader (§4.2.3).
        cluster.Run(1000);
        Assert.Equal(leader.Id, cluster.Leader()!.Id);
        Assert.Equal(termAfterRemoval, cluster.Leader()!.Raft!.Term);
        // Four voters left: two of them down still leaves a quorum of three.
        var others = cluster.Nodes.Where(n => n.Id != removed && n != leader).Take(1).ToList();
        foreach (var node in others) cluster.Crash(node.Id);
        cluster.CommitEverywhere(5);
    }

    [Fact]
    public void Removed_leader_steps_down_after_the_change_commits()
    {
        var cluster = Cluster(3);
        var leader = cluster.ElectLeader();
        cluster.CommitEverywhere(3);
        var result = cluster.ChangeMembership(leader.Id, new ConfigChange(ConfigChangeType.RemoveNode, leader.Id));
        Assert.True(result.IsAccepted);
        Assert.True(cluster.RunUntil(() => leader.Raft!.Role != Role.Leader, 200), "the removed leader should step down");
        Assert.True(leader.Raft!.CommitIndex >= result.Index, "it steps down only once the change is committed");
        var next = cluster.ElectLeader();
        Assert.NotEqual(leader.Id, next.Id);
        Assert.Equal(new[] { "n1", "n2", "n3" }.Where(id => id != leader.Id), next.Raft!.Config.Voters);
        cluster.CommitEverywhere(5, prefix: "after");
    }

    [Fact]
    public void A_truncated_configuration_entry_is_undone()
    {
        var cluster = Cluster(5);
        var leader = cluster.ElectLeader();
        cluster.CommitEverywhere(3);
        // The leader appends a change but is cut off before anyone else gets it.
        cluster.Isolate(leader.Id);
        var result = cluster.ChangeMembership(leader.Id, new ConfigChange(ConfigChangeType.RemoveNode, "n5" == leader.Id ? "n4" : "n5"));
        Assert.True(result.IsAccepted);
        Assert.Equal(4, leader.Raft!.Config.Voters.Count); // in force on the leader as soon as appended (§4.1)
        var others = cluster.Nodes.Where(n => n != leader).Select(n => n.Id).ToArray();
        Assert.True(cluster.RunUntil(() => cluster.Leader() is { } l && l != leader, 500));
        cluster.CommitEverywhere(3, prefix: "majority");
        cluster.Heal();
        Assert.True(cluster.RunUntil(() => leader.Raft!.Config.Voters.Count == 5, 500),
            "when the new leader overwrites the uncommitted change, the old configuration is back");
    }
}
