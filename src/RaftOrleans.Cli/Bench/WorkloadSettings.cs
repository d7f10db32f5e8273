using RaftOrleans.Cli.Cluster;
using RaftOrleans.Contracts;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Bench;

/// <summary>The workloads of `raftctl bench` beside `core` and `cluster`.</summary>
public enum Workload { Write, Read, Failover, Growth }

/// <summary>The options of `raftctl bench write|read|failover|growth`, checked.</summary>
public sealed record WorkloadSettings
{
    /// <summary>Default first port of a cluster started with --up: clear of `cluster up` (11100), the demo
    /// (11300) and `bench cluster` (11500), so a benchmark can run beside any of them.</summary>
    public const int DefaultBasePort = 11700;

    public static readonly IReadOnlyDictionary<string, Workload> Names = new Dictionary<string, Workload>(StringComparer.Ordinal)
    {
        ["write"] = Workload.Write, ["read"] = Workload.Read, ["failover"] = Workload.Failover, ["growth"] = Workload.Growth,
    };

    public const string Usage = """
        raftctl bench write [--clients C] [--seconds S] [--value-bytes B]
               raftctl bench read [--clients C] [--seconds S] [--stale|--lease]
               raftctl bench failover [--kills K] [--clients C]
               raftctl bench growth [--entries N] [--from N] [--clients C]
                 each also takes: [--up 1..7 [--storage sqlite|postgres] [--postgres CONNECTION] [--base-port P]]
                 [--cluster-dir DIR] [--json FILE] [--warmup S] [--idle-seconds S] [--value-bytes B]
        """;

    private static readonly string[] Common = ["--up", "--storage", "--postgres", "--base-port", "--cluster-dir", "--json", "--warmup", "--idle-seconds", "--value-bytes", "--clients"];

    public static IReadOnlySet<string> ValueOptions(Workload workload) => Common.Concat(workload switch
    {
        Workload.Write or Workload.Read => ["--seconds"],
        Workload.Failover => ["--kills"],
        Workload.Growth => ["--entries", "--from"],
        _ => Array.Empty<string>(),
    }).ToHashSet(StringComparer.Ordinal);

    public static IReadOnlySet<string> Flags(Workload workload) =>
        workload == Workload.Read ? new HashSet<string> { "--stale", "--lease" } : new HashSet<string>();

    public required Workload Workload { get; init; }

    /// <summary>The cluster to start and stop (null: measure the running cluster in <see cref="ClusterDirectory"/>).</summary>
    public UpOptions? Start { get; init; }

    /// <summary>Null: a temporary directory made for this run (with --up) and deleted after it.</summary>
    public string? ClusterDirectory { get; init; }

    public string? JsonFile { get; init; }
    public int Clients { get; init; }
    public int ValueBytes { get; init; } = 128;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Load before the measured run that is not counted (for growth: filling the log to <see cref="FromEntries"/>).</summary>
    public TimeSpan WarmUp { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>After the warm-up the cluster idles this long while each silo's CPU is sampled (0: not).</summary>
    public TimeSpan Idle { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Reads may be answered by any node from what it has applied (read workload).</summary>
    public bool Stale { get; init; }

    public int Kills { get; init; } = 5;
    public long Entries { get; init; } = 1_000_000;
    public long FromEntries { get; init; } = 10_000;

    public string Name => Workload.ToString().ToLowerInvariant();

    /// <param name="arguments">The words after `bench WORKLOAD`.</param>
    public static WorkloadSettings Parse(Workload workload, CommandArguments arguments, string repositoryRoot)
    {
        if (arguments.Positional.Count > 0)
        {
            throw new UsageException($"unexpected '{arguments.Positional[0]}'");
        }

        var up = arguments.Value("--up") is null ? (int?)null : arguments.Int("--up", 3, 1, ClusterLauncher.MaxNodes);

        foreach (var option in new[] { "--storage", "--postgres", "--base-port" })
        {
            if (up is null && arguments.Value(option) is not null)
            {
                throw new UsageException($"{option} applies to a cluster this run starts (--up N); a running cluster keeps its own");
            }
        }

        var start = up is { } size ? ClusterCommand.UpOptionsFrom(arguments, DefaultBasePort) with { Nodes = size, Fresh = true } : null;
        if (start is { Storage: DatabaseKind.Postgres, PostgresConnection: null or "" })
        {
            throw new UsageException("--storage postgres needs --postgres \"Host=...;Username=...;Password=...;Database=...\" (or $RAFTCTL_POSTGRES)");
        }

        if (arguments.Has("--lease"))
        {
            if (arguments.Has("--stale")) throw new UsageException("--stale and --lease exclude each other");
            throw new UsageException("--lease: lease reads are not supported by the client library yet (use the default ReadIndex reads, or --stale)");
        }

        var settings = new WorkloadSettings
        {
            Workload = workload,
            Start = start,
            ClusterDirectory = arguments.Value("--cluster-dir") ?? (up is null ? ClusterLauncher.DefaultClusterDirectory(repositoryRoot) : null),
            JsonFile = arguments.Value("--json"),
            Clients = arguments.Int("--clients", workload switch { Workload.Failover => 4, Workload.Growth => 128, _ => 16 }, 1, 1000),
            ValueBytes = arguments.Int("--value-bytes", 128, 1, 1 << 20),
            Duration = TimeSpan.FromSeconds(arguments.Double("--seconds", 10, 0.2, 3600)),
            WarmUp = TimeSpan.FromSeconds(arguments.Double("--warmup", 2, 0, 3600)),
            Idle = TimeSpan.FromSeconds(arguments.Double("--idle-seconds", 5, 0, 3600)),
            Stale = arguments.Has("--stale"),
            Kills = arguments.Int("--kills", 5, 1, 100),
            FromEntries = arguments.Int("--from", 10_000, 1, int.MaxValue),
            Entries = arguments.Int("--entries", 1_000_000, 2, int.MaxValue),
        };
        if (settings.Entries <= settings.FromEntries)
        {
            throw new UsageException($"--entries {settings.Entries} must be above --from {settings.FromEntries}");
        }

        return settings;
    }
}
