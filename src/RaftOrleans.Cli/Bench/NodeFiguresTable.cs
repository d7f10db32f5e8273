using System.Globalization;

namespace RaftOrleans.Cli.Bench;

/// <summary>A table with one row per node and one column per figure (CPU while idle, CPU per phase, memory).</summary>
public static class NodeFiguresTable
{
    public const string CpuTitle = "CPU of each silo process, % of one core (from /proc/PID/stat; '-' where the process changed or /proc is missing)";

    public static void Write(TextWriter output, string title, IReadOnlyList<string> nodes, IReadOnlyList<(string Column, IReadOnlyDictionary<string, double?> Values)> columns)
    {
        if (columns.Count == 0)
        {
            return;
        }

        output.WriteLine(title);
        output.WriteLine($"{"node",-6}" + string.Concat(columns.Select(column => $" {column.Column,10}")));
        foreach (var node in nodes)
        {
            output.WriteLine($"{node,-6}" + string.Concat(columns.Select(column =>
                $" {(column.Values.GetValueOrDefault(node) is { } value ? value.ToString("0.0", CultureInfo.InvariantCulture) : "-"),10}")));
        }
    }
}
