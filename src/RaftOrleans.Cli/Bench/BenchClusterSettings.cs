using System.Globalization;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Bench;

/// <summary>The options of `raftctl bench cluster`, checked.</summary>
public sealed record BenchClusterSettings
{
    public const int DefaultBasePort = 11500;

    public static readonly IReadOnlySet<string> ValueOptions = new HashSet<string>
    {
        "--nodes", "--storage", "--postgres", "--base-port", "--cluster-dir", "--out", "--seconds", "--clients",
        "--value-bytes", "--read-clients", "--failover-rounds", "--failover-clients", "--idle-seconds", "--warmup",
    };

    public static readonly IReadOnlySet<string> Flags = new HashSet<string> { "--existing", "--breakdown" };

    /// <summary>The cluster to start (ignored with <see cref="UseExisting"/>).</summary>
    public required UpOptions Cluster { get; init; }

    /// <summary>Run against the cluster already running in <see cref="ClusterDirectory"/> and leave it running.</summary>
    public bool UseExisting { get; init; }

    public required string ClusterDirectory { get; init; }
    public required string OutputDirectory { get; init; }
    public TimeSpan PhaseDuration { get; init; } = TimeSpan.FromSeconds(5);
    public IReadOnlyList<int> ClientLevels { get; init; } = [1, 4, 16, 64];
    public int ValueBytes { get; init; } = 100;
    public int ReadClients { get; init; } = 16;
    public int FailoverRounds { get; init; } = 5;
    public int FailoverClients { get; init; } = 4;

    /// <summary>Before anything is measured, writes at the largest client level for this long, not counted:
    /// a silo just started spends its first seconds compiling (tiered JIT) and filling pools, which
    /// otherwise lands in the first level's figures and in the idle CPU (0: no warm-up).</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After the warm-up, before the first level, the cluster idles this long while each silo's CPU is sampled (0: not).</summary>
    public TimeSpan IdleDuration { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>After each write level, print where a write's time went (the nodes' stage histograms).</summary>
    public bool Breakdown { get; init; }

    /// <param name="arguments">The words after `bench cluster`.</param>
    public static BenchClusterSettings Parse(CommandArguments arguments, string repositoryRoot)
    {
        if (arguments.Positional.Count > 0)
        {
            throw new UsageException($"unexpected '{arguments.Positional[0]}'");
        }

        var existing = arguments.Has("--existing");
        var defaultDirectory = existing ? ClusterLauncher.DefaultClusterDirectory(repositoryRoot) : Path.Combine(repositoryRoot, ".raftctl", "bench");
        return new BenchClusterSettings
        {
            Cluster = ClusterCommand.UpOptionsFrom(arguments, DefaultBasePort) with { Fresh = true },
            UseExisting = existing,
            ClusterDirectory = arguments.Value("--cluster-dir") ?? defaultDirectory,
            OutputDirectory = arguments.Value("--out") ?? "bench-results",
            PhaseDuration = TimeSpan.FromSeconds(arguments.Double("--seconds", 5, 0.2, 3600)),
            ClientLevels = Levels(arguments.Value("--clients")),
            ValueBytes = arguments.Int("--value-bytes", 100, 1, 1 << 20),
            ReadClients = arguments.Int("--read-clients", 16, 0, 1000),
            FailoverRounds = arguments.Int("--failover-rounds", 5, 0, 100),
            FailoverClients = arguments.Int("--failover-clients", 4, 1, 1000),
            IdleDuration = TimeSpan.FromSeconds(arguments.Double("--idle-seconds", 3, 0, 3600)),
            WarmUp = TimeSpan.FromSeconds(arguments.Double("--warmup", 5, 0, 3600)),
            Breakdown = arguments.Has("--breakdown"),
        };
    }

    private static IReadOnlyList<int> Levels(string? text)
    {
        if (text is null)
        {
            return [1, 4, 16, 64];
        }

        var levels = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var level) && level is >= 1 and <= 1000
                ? level
                : throw new UsageException($"--clients {text}: a comma-separated list of whole numbers from 1 to 1000"))
            .Distinct().Order().ToList();
        return levels.Count > 0 ? levels : throw new UsageException("--clients needs at least one level");
    }
}
