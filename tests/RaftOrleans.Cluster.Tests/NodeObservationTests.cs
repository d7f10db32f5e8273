using RaftOrleans.Contracts;
using RaftOrleans.Grains.Metrics;

namespace RaftOrleans.Cluster.Tests;

/// <summary>What the node observer counts from successive status readings, and what /healthz and /readyz answer.</summary>
public sealed class NodeObservationTests
{
    private static readonly TimeSpan ElectionTimeout = TimeSpan.FromMilliseconds(300);

    private static NodeStatus Status(string role, long term, string? leader, long? sinceLeaderMs = 10) =>
        new("n1", "n1", Enum.Parse<NodeRole>(role, ignoreCase: true), term, leader, 5, 5, 5, role == "leader" ? 0 : sinceLeaderMs);

    [Fact]
    public void A_failover_seen_by_a_follower_counts_one_more_leader_and_the_terms_it_went_through()
    {
        var transitions = new NodeTransitions();
        transitions.Observe(Status("follower", 1, null, null));
        transitions.Observe(Status("follower", 1, "n2"));
        transitions.Observe(Status("follower", 1, "n2"));
        Assert.Equal(1, transitions.LeaderChanges);

        // n2 dies: the leader is forgotten (not a change), two terms pass, n3 wins.
        transitions.Observe(Status("precandidate", 1, null));
        transitions.Observe(Status("follower", 3, "n3"));
        Assert.Equal(2, transitions.LeaderChanges);
        Assert.Equal(2, transitions.Elections);
        Assert.Equal(0, transitions.ElectionsWon);

        // The same leader again after a lost contact is no change.
        transitions.Observe(Status("follower", 3, null));
        transitions.Observe(Status("follower", 3, "n3"));
        Assert.Equal(2, transitions.LeaderChanges);
    }

    [Fact]
    public void Becoming_leader_counts_one_win_however_long_it_lasts()
    {
        var transitions = new NodeTransitions();
        transitions.Observe(Status("candidate", 2, null));
        transitions.Observe(Status("leader", 2, "n1"));
        transitions.Observe(Status("leader", 2, "n1"));
        transitions.Observe(Status("follower", 3, "n2"));
        transitions.Observe(Status("leader", 4, "n1"));
        Assert.Equal(2, transitions.ElectionsWon);
        Assert.Equal(3, transitions.LeaderChanges);
        Assert.Equal(2, transitions.Elections);
    }

    [Fact]
    public void A_leader_and_a_follower_in_touch_are_ready()
    {
        Assert.True(NodeHealth.Readiness(Status("leader", 2, "n1"), ElectionTimeout).Ok);
        Assert.True(NodeHealth.Readiness(Status("follower", 2, "n2", 250), ElectionTimeout).Ok);
    }

    [Theory]
    [InlineData("follower", "n2", 301L)]
    [InlineData("follower", null, null)]
    [InlineData("precandidate", null, 5000L)]
    [InlineData("candidate", "n2", 10L)]
    public void A_node_without_a_leader_heard_within_an_election_timeout_is_not_ready(string role, string? leader, long? sinceLeaderMs)
    {
        var status = Status(role, 2, leader, sinceLeaderMs);
        if (role == "candidate") status = status with { Leader = null };
        var verdict = NodeHealth.Readiness(status, ElectionTimeout);
        Assert.False(verdict.Ok);
        Assert.Contains("n1", verdict.Reason);
    }

    [Fact]
    public void A_stopped_node_is_neither_alive_nor_ready()
    {
        Assert.False(NodeHealth.Liveness(Status("stopped", 2, null)).Ok);
        Assert.False(NodeHealth.Readiness(Status("stopped", 2, "n2"), ElectionTimeout).Ok);
        Assert.True(NodeHealth.Liveness(Status("follower", 2, null, null)).Ok);
    }
}
