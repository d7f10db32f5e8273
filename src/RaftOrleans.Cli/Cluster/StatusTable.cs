using System.Globalization;
using System.Text.Json;
using RaftOrleans.Hosting.Client;

namespace RaftOrleans.Cli.Cluster;

/// <summary>The `raftctl status` output: an aligned table, or a JSON array for scripts and tests.</summary>
public static class StatusTable
{
    private static readonly string[] Header = ["NODE", "SILO", "ROLE", "TERM", "LEADER", "COMMIT", "APPLIED", "LAST-LOG", "CONTACT"];

    public static void Write(TextWriter output, IReadOnlyList<NodeStatusRow> rows)
    {
        var table = new List<string[]> { Header };
        table.AddRange(rows.Select(Cells));
        var widths = Enumerable.Range(0, Header.Length).Select(column => table.Max(row => row[column].Length)).ToArray();
        foreach (var row in table)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd());
        }

        foreach (var row in rows.Where(row => !row.Reachable))
        {
            output.WriteLine($"{row.Node}: {row.Error}");
        }
    }

    private static string[] Cells(NodeStatusRow row)
    {
        if (row.Status is not { } s)
        {
            return [row.Node, "-", "unreachable", "-", "-", "-", "-", "-", "-"];
        }

        return
        [
            s.Node, s.Silo, s.Role, Number(s.Term), s.Leader ?? "-", Number(s.CommitIndex), Number(s.AppliedIndex),
            Number(s.LastLogIndex), Contact(s.MillisecondsSinceLeaderContact),
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
    /// "silo", "millisecondsSinceLeaderContact", "error" }, ...]; unknown values are null.</summary>
    public static void WriteJson(TextWriter output, IReadOnlyList<NodeStatusRow> rows)
    {
        var objects = rows.Select(row => new
        {
            node = row.Node,
            reachable = row.Reachable,
            role = row.Status?.Role,
            term = row.Status?.Term,
            leader = row.Status?.Leader,
            commitIndex = row.Status?.CommitIndex,
            appliedIndex = row.Status?.AppliedIndex,
            lastLogIndex = row.Status?.LastLogIndex,
            silo = row.Status?.Silo,
            millisecondsSinceLeaderContact = row.Status?.MillisecondsSinceLeaderContact,
            error = row.Error,
        });
        output.WriteLine(JsonSerializer.Serialize(objects, new JsonSerializerOptions { WriteIndented = true }));
    }
}
