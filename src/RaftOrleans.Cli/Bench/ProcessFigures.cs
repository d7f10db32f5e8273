using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Bench;

/// <summary>What Linux tells about a process and the machine (/proc): CPU time, resident memory, load
/// average. Null wherever /proc is missing (another OS) or the process is gone: a benchmark shows a
/// figure it could not take as missing rather than failing.</summary>
public static class ProcessFigures
{
    /// <summary>User plus system CPU time the process has used, in clock ticks (fields 14 and 15 of
    /// /proc/PID/stat, counted after the command name, which may itself hold spaces and parentheses).</summary>
    public static long? CpuTicks(int pid) => ReadOrNull($"/proc/{pid}/stat") is { } text ? CpuTicksOf(text) : null;

    /// <summary>User plus system ticks from the text of a /proc/PID/stat file; null when it does not parse.</summary>
    public static long? CpuTicksOf(string stat)
    {
        var end = stat.LastIndexOf(')');
        if (end < 0 || end + 2 > stat.Length)
        {
            return null;
        }

        var fields = stat[(end + 2)..].Split(' ');
        // fields[0] is field 3 (the state), so field N is fields[N - 3].
        return fields.Length > 12
               && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
               && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
            ? user + system
            : null;
    }

    /// <summary>Resident set size in MiB (VmRSS of /proc/PID/status).</summary>
    public static double? ResidentMiB(int pid) => ReadOrNull($"/proc/{pid}/status") is { } text ? ResidentMiBOf(text) : null;

    /// <summary>VmRSS in MiB from the text of a /proc/PID/status file; null when it has none.</summary>
    public static double? ResidentMiBOf(string status)
    {
        var line = status.Split('\n').FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        var kib = line?["VmRSS:".Length..].Trim().Split(' ')[0];
        return long.TryParse(kib, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value / 1024.0 : null;
    }

    /// <summary>The 1, 5 and 15 minute load averages of /proc/loadavg.</summary>
    public static double[]? LoadAverage()
    {
        var parts = ReadOrNull("/proc/loadavg")?.Split(' ');
        if (parts is not { Length: >= 3 })
        {
            return null;
        }

        var values = parts.Take(3).Select(part => double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToArray();
        return values.All(double.IsFinite) ? values : null;
    }

    /// <summary>Clock ticks per second, the unit of <see cref="CpuTicks"/> (USER_HZ, 100 on every common Linux).</summary>
    public static double TicksPerSecond { get; } = OperatingSystem.IsLinux() && SysConf(ClockTicksName) is > 0 and var ticks ? ticks : 100;

    private static string? ReadOrNull(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private const int ClockTicksName = 2; // _SC_CLK_TCK in glibc and musl

    [DllImport("libc", EntryPoint = "sysconf")]
    private static extern long SysConf(int name);
}

/// <summary>
/// CPU used by each silo process of a cluster between <see cref="Start"/> and <see cref="PercentOfCore"/>,
/// as a percentage of one core (100 = one core busy the whole time; up to 100 per core). A node whose
/// silo is not the same process at the end (killed, restarted) has no figure: its CPU is split between
/// two processes, one of which is gone.
/// </summary>
public sealed class SiloCpu
{
    private readonly Dictionary<string, (int Pid, long? Ticks)> _start;
    private readonly Stopwatch _wall = Stopwatch.StartNew();

    private SiloCpu(Dictionary<string, (int Pid, long? Ticks)> start) => _start = start;

    public static SiloCpu Start(ClusterState cluster) => new(cluster.Nodes.ToDictionary(
        node => node.Node,
        node => SiloProcess.IsRunning(cluster, node) ? (node.Pid, ProcessFigures.CpuTicks(node.Pid)) : (0, (long?)null)));

    public IReadOnlyDictionary<string, double?> PercentOfCore()
    {
        var seconds = _wall.Elapsed.TotalSeconds;
        return _start.ToDictionary(pair => pair.Key, pair =>
        {
            var (pid, ticks) = pair.Value;
            return ticks is { } before && pid > 0 && ProcessFigures.CpuTicks(pid) is { } after && seconds > 0
                ? Math.Round((after - before) / ProcessFigures.TicksPerSecond / seconds * 100, 1)
                : (double?)null;
        });
    }

    /// <summary>Each running silo's resident memory now, in MiB.</summary>
    public static IReadOnlyDictionary<string, double?> ResidentMiB(ClusterState cluster) => cluster.Nodes.ToDictionary(
        node => node.Node,
        node => SiloProcess.IsRunning(cluster, node) && ProcessFigures.ResidentMiB(node.Pid) is { } mib ? Math.Round(mib, 1) : (double?)null);
}
