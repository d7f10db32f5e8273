using System.Text.Json;
using System.Text.Json.Serialization;

namespace RaftOrleans.Cli.Bench;

/// <summary>
/// What one `raftctl bench write|read|failover|growth` run measured: the object `--json FILE` writes (one
/// line, so the files of many runs concatenate into JSON Lines). A figure that could not be taken is null,
/// never a made-up number; docs/bench/README.md describes each field.
/// </summary>
public sealed record WorkloadRun
{
    public required string Workload { get; init; }
    public required DateTime StartedUtc { get; init; }
    public required int Nodes { get; init; }

    /// <summary>The nodes' storage: sqlite or postgres.</summary>
    public required string Storage { get; init; }

    /// <summary>Whether this run started its own cluster (--up) or measured a running one.</summary>
    public required bool OwnCluster { get; init; }

    public required int Clients { get; init; }
    public required int ValueBytes { get; init; }

    /// <summary>read workload: linearizable (ReadIndex) or stale; null for the others.</summary>
    public string? ReadMode { get; init; }

    public required double WarmUpSeconds { get; init; }
    public required double IdleSeconds { get; init; }

    /// <summary>Length of the measured run (for failover: the writers' time over all kills).</summary>
    public required double Seconds { get; init; }

    /// <summary>Successful operations in the measured run, and failed ones (timed out, unavailable).</summary>
    public required long Operations { get; init; }
    public required long Errors { get; init; }
    public required double OpsPerSec { get; init; }
    public required LatencyFigures LatencyMs { get; init; }

    /// <summary>Per kill: from the SIGKILL of the leader to the write that ended the outage (null: none within the limit).</summary>
    public required IReadOnlyList<double?> FailoverMs { get; init; }

    /// <summary>Per kill: from the SIGKILL until the survivors agreed on a new leader.</summary>
    public required IReadOnlyList<double?> LeaderElectedMs { get; init; }

    /// <summary>Per kill: the longest stretch without a successful write (from the last success before it).</summary>
    public required IReadOnlyList<double?> WriteGapMs { get; init; }

    /// <summary>Terms begun between the statuses read before and after the measured run.</summary>
    public required long? Elections { get; init; }
    public required long? TermBefore { get; init; }
    public required long? TermAfter { get; init; }
    public required string? LeaderBefore { get; init; }
    public required string? LeaderAfter { get; init; }

    /// <summary>Mean log entries per storage write on the node that served the run's writes, and on the others.</summary>
    public required double? EntriesPerWrite { get; init; }
    public required double? EntriesPerWriteFollowers { get; init; }

    /// <summary>/proc/loadavg (1, 5, 15 minutes) when the run began and when it ended.</summary>
    public required double[]? LoadAverageStart { get; init; }
    public required double[]? LoadAverageEnd { get; init; }

    /// <summary>Per node, % of one core: over the idle period, and over the measured run.</summary>
    public required IReadOnlyDictionary<string, double?> CpuIdlePercent { get; init; }
    public required IReadOnlyDictionary<string, double?> CpuLoadPercent { get; init; }

    /// <summary>Per node, resident memory (MiB) when the measured run began and when it ended.</summary>
    public required IReadOnlyDictionary<string, double?> RssMiBStart { get; init; }
    public required IReadOnlyDictionary<string, double?> RssMiBEnd { get; init; }

    /// <summary>Per node, the silo's process id at the end (0: not running).</summary>
    public required IReadOnlyDictionary<string, int> Pids { get; init; }

    /// <summary>growth workload: the throughput of each step as the log grew.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<GrowthStep>? Steps { get; init; }

    /// <summary>The leader's last log index after the run: how long the log had grown.</summary>
    public required long? LastLogIndex { get; init; }

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        NumberHandling = JsonNumberHandling.Strict,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>Latency percentiles in ms (nearest rank: every figure is one an operation had); null without operations.</summary>
public sealed record LatencyFigures(double? P50, double? P90, double? P99, double? P999, double? Max)
{
    public static LatencyFigures Of(LatencySummary summary) =>
        new(Finite(summary.LatencyMsP50), Finite(summary.LatencyMsP90), Finite(summary.LatencyMsP99), Finite(summary.LatencyMsP999), Finite(summary.LatencyMsMax));

    public static double? Finite(double value) => double.IsFinite(value) ? Math.Round(value, 3) : null;
}

/// <summary>One step of the growth workload: writes that took the log from <see cref="FromEntries"/> to
/// <see cref="ToEntries"/> entries.</summary>
public sealed record GrowthStep(long FromEntries, long ToEntries, double Seconds, long Operations, double OpsPerSec, LatencyFigures LatencyMs);
