using System.Globalization;

namespace RaftOrleans.Cli.Bench;

/// <summary>The table of each silo's CPU, one column per phase (idle, a write level, ...), in % of one core.</summary>
public static class CpuReport
{
    public static void Write(TextWriter output, IReadOnlyList<string> nodes, IReadOnlyList<(string Phase, IReadOnlyDictionary<string, double?> PercentOfCore)> columns)
    {
        if (columns.Count == 0)
        {
            return;
        }

        output.WriteLine("CPU of each silo process, % of one core (from /proc/PID/stat; '-' where the process changed or /proc is missing)");
        output.WriteLine($"{"node",-6}" + string.Concat(columns.Select(column => $" {column.Phase,10}")));
        foreach (var node in nodes)
        {
            output.WriteLine($"{node,-6}" + string.Concat(columns.Select(column =>
                $" {(column.PercentOfCore.GetValueOrDefault(node) is { } percent ? percent.ToString("0.0", CultureInfo.InvariantCulture) : "-"),10}")));
        }
    }
}
