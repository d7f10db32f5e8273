using RaftOrleans.Cli.Cluster;
using RaftOrleans.Client.Connections;
using RaftOrleans.Contracts;

namespace RaftOrleans.Cli.Tests;

/// <summary>The frames of `status --watch`: what counts as a change since the last frame and how it is marked.</summary>
public sealed class StatusWatchTests
{
    private static NodeStatusRow Row(string node, string role, long term, string? leader) =>
        new(node, new NodeStatus(node, node, Enum.Parse<NodeRole>(role, ignoreCase: true), term, leader, 7, 7, 7, role == "leader" ? 0 : 20), null);

    private static NodeStatusRow Unreachable(string node) => new(node, null, "gateway 127.0.0.1:1: ConnectionRefused (silo not running?)");

    private static readonly IReadOnlyList<NodeStatusRow> Steady =
        [Row("n1", "leader", 3, "n1"), Row("n2", "follower", 3, "n1"), Row("n3", "follower", 3, "n1")];

    [Fact]
    public void The_first_frame_and_an_unchanged_one_mark_nothing()
    {
        Assert.Empty(StatusChanges.Between(null, Steady).Notes);
        var same = StatusChanges.Between(Steady, [.. Steady]);
        Assert.Empty(same.Notes);
        Assert.Empty(same.Cells);
    }

    [Fact]
    public void A_killed_leader_shows_as_unreachable_then_a_new_leader_in_a_new_term()
    {
        IReadOnlyList<NodeStatusRow> leaderGone = [Unreachable("n1"), Row("n2", "follower", 3, "n1"), Row("n3", "follower", 3, "n1")];
        var lost = StatusChanges.Between(Steady, leaderGone);
        Assert.Equal(["no leader (was n1)", "n1 unreachable"], lost.Notes);
        Assert.Contains(("n1", StatusTable.RoleColumn), lost.Cells);

        IReadOnlyList<NodeStatusRow> failedOver = [Unreachable("n1"), Row("n2", "follower", 4, "n3"), Row("n3", "leader", 4, "n3")];
        var elected = StatusChanges.Between(leaderGone, failedOver);
        Assert.Equal(["new leader n3 in term 4", "term changed: n2 3->4, n3 3->4"], elected.Notes);
        Assert.Equal(
            new HashSet<(string, int)>
            {
                ("n3", StatusTable.RoleColumn), ("n2", StatusTable.TermColumn), ("n3", StatusTable.TermColumn),
                ("n2", StatusTable.LeaderColumn), ("n3", StatusTable.LeaderColumn),
            },
            elected.Cells);
    }

    [Fact]
    public void A_leader_change_within_one_interval_names_both_leaders_and_a_node_back_is_noted()
    {
        IReadOnlyList<NodeStatusRow> before = [Unreachable("n1"), Row("n2", "leader", 5, "n2"), Row("n3", "follower", 5, "n2")];
        IReadOnlyList<NodeStatusRow> after = [Row("n1", "follower", 6, "n3"), Row("n2", "follower", 6, "n3"), Row("n3", "leader", 6, "n3")];
        var changes = StatusChanges.Between(before, after);
        Assert.Equal(["new leader n3 in term 6 (was n2)", "n1 answers again", "term changed: n2 5->6, n3 5->6"], changes.Notes);
    }

    [Fact]
    public void A_frame_marks_changed_cells_with_a_star_off_a_terminal_and_in_reverse_video_on_one()
    {
        IReadOnlyList<NodeStatusRow> failedOver = [Unreachable("n1"), Row("n2", "follower", 4, "n3"), Row("n3", "leader", 4, "n3")];
        var changes = StatusChanges.Between(Steady, failedOver);
        var at = new DateTime(2026, 12, 2, 0, 30, 0, DateTimeKind.Utc);
        var recent = changes.Notes.Select(note => (at, note)).ToArray();

        var plain = StatusWatch.Frame("c1", failedOver, changes, recent, TimeSpan.FromMilliseconds(500), at, terminal: false);
        var lines = plain.Split(Environment.NewLine);
        Assert.StartsWith("cluster c1  00:30:00.0 UTC  every 500 ms", lines[0]);
        Assert.Matches(@"^n3 +n3 +leader\* +4\* +n3\* ", lines.Single(line => line.StartsWith("n3 ")));
        Assert.Matches(@"^n1 +- +unreachable\* ", lines.Single(line => line.StartsWith("n1 ")));
        Assert.Contains("changed: new leader n3 in term 4 (was n1)", lines);
        Assert.Contains("  00:30:00.0  n1 unreachable", lines);
        Assert.DoesNotContain("\u001b", plain);

        var onTerminal = StatusWatch.Frame("c1", failedOver, changes, recent, TimeSpan.FromMilliseconds(500), at, terminal: true);
        Assert.Contains("\u001b[7mleader", onTerminal);
        Assert.DoesNotContain("leader*", onTerminal);
    }
}
