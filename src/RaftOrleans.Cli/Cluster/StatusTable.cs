using RaftOrleans.Contracts;
using System.Globalization;
using System.Text.Json;
using RaftOrleans.Client.Connections;

namespace RaftOrleans.Cli.Cluster;

/// <summary>The `raftctl status` output: an aligned table, or a JSON array for scripts and tests.</summary>
public static class StatusTable
{
    private static readonly string[] Header = ["NODE", "SILO", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LAST-LOG", "SNAPSHOT", "CONTACT"];

    public const int RoleColumn = 2;
    public const int TermColumn = 3;
    public const int LeaderColumn = 4;

    public static void Write(TextWriter output, IReadOnlyList<NodeStatusRow> rows) => Write(output, rows, StatusChanges.None, Mark.None);

    /// <summary>How a changed cell is shown: on a terminal in reverse video, elsewhere with a trailing '*'.</summary>
    public sealed record Mark(string Before, string After, string Suffix)
    {
        public static readonly Mark None = new("", "", "");
        public static readonly Mark Star = new("", "", "*");
        public static readonly Mark Reverse = new("\u001b[7m", "\u001b[0m", "");
    }

    /// <summary>The table with the cells <paramref name="changes"/> names marked, and its notes under it.</summary>
    public static void Write(TextWriter output, IReadOnlyList<NodeStatusRow> rows, StatusChanges changes, Mark mark)
    {
        var table = new List<string[]> { Header };
        table.AddRange(rows.Select(row => Cells(row).Select((cell, column) =>
            changes.Cells.Contains((row.Node, column)) ? cell + mark.Suffix : cell).ToArray()));
        var widths = Enumerable.Range(0, Header.Length).Select(column => table.Max(row => row[column].Length)).ToArray();
        for (var row = 0; row < table.Count; row++)
        {
            var line = string.Join("  ", table[row].Select((cell, column) =>
                row > 0 && changes.Cells.Contains((rows[row - 1].Node, column))
                    ? mark.Before + cell.PadRight(widths[column]) + mark.After
                    : cell.PadRight(widths[column])));
            output.WriteLine(line.TrimEnd());
        }

        foreach (var row in rows.Where(row => !row.Reachable))
        {
            output.WriteLine($"{row.Node}: {row.Error}");
        }

        WriteFaults(output, rows);
        foreach (var note in changes.Notes)
        {
            output.WriteLine($"changed: {note}");
        }
    }

    /// <summary>"network faults: ..." under the table: the one table every reachable node enforces, or each
    /// node's when they differ (a node that missed a change catches up from its peers within seconds).</summary>
    private static void WriteFaults(TextWriter output, IReadOnlyList<NodeStatusRow> rows)
    {
        var views = rows.Where(row => row.Status is not null)
            .GroupBy(row => (row.Status!.FaultsVersion, row.Status.Faults))
            .OrderByDescending(view => view.Key.FaultsVersion)
            .ToArray();
        if (views.Length == 1)
        {
            output.WriteLine($"network faults: {views[0].Key.Faults}");
        }
        else if (views.Length > 1)
        {
            output.WriteLine("network faults differ between nodes:");
            foreach (var view in views)
            {
                output.WriteLine($"  {string.Join(",", view.Select(row => row.Node))}: v{view.Key.FaultsVersion} {view.Key.Faults}");
            }
        }
    }

    private static string[] Cells(NodeStatusRow row)
    {
        if (row.Status is not { } s)
        {
            return [row.Node, "-", "unreachable", "-", "-", "-", "-", "-", "-", "-"];
        }

        return
        [
            s.Node, s.Silo, s.Role.Name(), Number(s.Term), s.Leader ?? "-", Number(s.CommitIndex), Number(s.AppliedIndex),
            Number(s.LastLogIndex), Number(s.SnapshotIndex), Contact(s.MillisecondsSinceLeaderContact),
        ];
    }

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Contact(long? milliseconds) => milliseconds switch
    {
        null => "never",
        < 1000 => $"{milliseconds} ms",
        _ => $"{milliseconds / 1000.0:0.0} s",
    };

    /// <summary>[{ "node", "reachable", "role", "term", "leader", "commitIndex", "appliedIndex", "lastLogIndex",
    /// "silo", "millisecondsSinceLeaderContact", "error",
    /// "snapshotIndex" (last entry of the node's latest snapshot, 0: none), "firstLogIndex" (first entry still held),
    /// "faultsVersion", "faults" (the network fault table this node's silo enforces, in one line) }, ...]; unknown values are null.</summary>
    public static void WriteJson(TextWriter output, IReadOnlyList<NodeStatusRow> rows)
    {
        var objects = rows.Select(row => new
        {
            node = row.Node,
            reachable = row.Reachable,
            role = row.Status?.Role.Name(),
            term = row.Status?.Term,
            leader = row.Status?.Leader,
            commitIndex = row.Status?.CommitIndex,
            appliedIndex = row.Status?.AppliedIndex,
            lastLogIndex = row.Status?.LastLogIndex,
            silo = row.Status?.Silo,
            millisecondsSinceLeaderContact = row.Status?.MillisecondsSinceLeaderContact,
            error = row.Error,
            faultsVersion = row.Status?.FaultsVersion,
            faults = row.Status?.Faults,
            snapshotIndex = row.Status?.SnapshotIndex,
            firstLogIndex = row.Status?.FirstLogIndex,
        });
        output.WriteLine(JsonSerializer.Serialize(objects, new JsonSerializerOptions { WriteIndented = true }));
    }
}
