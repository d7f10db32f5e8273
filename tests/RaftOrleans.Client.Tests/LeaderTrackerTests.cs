namespace RaftOrleans.Client.Tests;

public sealed class LeaderTrackerTests
{
    [Fact]
    public void A_hint_naming_another_node_is_followed()
    {
        var tracker = new LeaderTracker(["n1", "n2", "n3"]);

        Assert.False(tracker.Move("n1", "n3"));
        Assert.Equal("n3", tracker.Target);
    }

    [Fact]
    public void Without_a_hint_the_next_node_in_turn_is_tried()
    {
        var tracker = new LeaderTracker(["n1", "n2", "n3"], startIndex: 2);

        tracker.Move("n3", null);

        Assert.Equal("n1", tracker.Target);
    }

    [Fact]
    public void Nodes_naming_each_other_cause_a_pause_after_a_round()
    {
        var tracker = new LeaderTracker(["n1", "n2", "n3"]);

        Assert.False(tracker.Move("n1", "n2"));
        Assert.False(tracker.Move("n2", "n1"));
        Assert.True(tracker.Move("n1", "n2"));
    }

    [Fact]
    public void A_success_resets_the_round_and_a_failure_of_the_leader_forgets_it()
    {
        var tracker = new LeaderTracker(["n1", "n2", "n3"]);
        tracker.Move("n1", null);
        tracker.Move("n2", null);

        tracker.Succeeded("n3");
        Assert.Equal("n3", tracker.KnownLeader);
        Assert.False(tracker.Move("n3", null));
        Assert.Null(tracker.KnownLeader);
        Assert.Equal("n1", tracker.Target);
    }

    [Fact]
    public void A_hint_naming_an_unknown_node_is_ignored()
    {
        var tracker = new LeaderTracker(["n1", "n2", "n3"]);

        tracker.Move("n1", "n9");

        Assert.Equal("n2", tracker.Target);
    }
}
