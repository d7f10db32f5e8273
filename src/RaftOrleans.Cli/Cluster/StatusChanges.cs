using RaftOrleans.Client.Connections;
using RaftOrleans.Contracts;

namespace RaftOrleans.Cli.Cluster;

/// <summary>What changed between two frames of `status --watch`: one line per change, and the cells of the
/// new frame to mark (node and column of <see cref="StatusTable"/>).</summary>
public sealed record StatusChanges(IReadOnlyList<string> Notes, IReadOnlySet<(string Node, int Column)> Cells)
{
    public static readonly StatusChanges None = new([], new HashSet<(string, int)>());

    /// <summary>The leader of a frame: the reachable node that says it leads, in the highest term.</summary>
    public static string? LeaderOf(IReadOnlyList<NodeStatusRow> rows) =>
        rows.Where(row => row.Status?.Role == NodeRole.Leader).OrderByDescending(row => row.Status!.Term).FirstOrDefault()?.Node;

    /// <summary>A new leader (or none any more), a term change, a node that became unreachable or answers again.</summary>
    public static StatusChanges Between(IReadOnlyList<NodeStatusRow>? previous, IReadOnlyList<NodeStatusRow> current)
    {
        if (previous is null)
        {
            return None;
        }

        var notes = new List<string>();
        var cells = new HashSet<(string, int)>();
        var before = previous.ToDictionary(row => row.Node);
        var (oldLeader, newLeader) = (LeaderOf(previous), LeaderOf(current));
        if (newLeader != oldLeader)
        {
            if (newLeader is not null)
            {
                var term = current.Single(row => row.Node == newLeader).Status!.Term;
                notes.Add($"new leader {newLeader} in term {term}" + (oldLeader is null ? "" : $" (was {oldLeader})"));
                cells.Add((newLeader, StatusTable.RoleColumn));
            }
            else
            {
                notes.Add($"no leader (was {oldLeader})");
            }
        }

        var termRises = new List<string>();
        foreach (var row in current)
        {
            if (!before.TryGetValue(row.Node, out var earlier))
            {
                continue;
            }

            if (earlier.Reachable && !row.Reachable)
            {
                notes.Add($"{row.Node} unreachable");
                cells.Add((row.Node, StatusTable.RoleColumn));
            }
            else if (!earlier.Reachable && row.Reachable)
            {
                notes.Add($"{row.Node} answers again");
                cells.Add((row.Node, StatusTable.RoleColumn));
            }

            if (row.Status is { } now && earlier.Status is { } then)
            {
                if (now.Term != then.Term)
                {
                    termRises.Add($"{row.Node} {then.Term}->{now.Term}");
                    cells.Add((row.Node, StatusTable.TermColumn));
                }

                if (now.Leader != then.Leader)
                {
                    cells.Add((row.Node, StatusTable.LeaderColumn));
                }
            }
        }

        if (termRises.Count > 0)
        {
            notes.Add($"term changed: {string.Join(", ", termRises)}");
        }

        return new StatusChanges(notes, cells);
    }
}
