namespace RaftOrleans.Cli.Bench;

/// <summary>Throughput and latency percentiles of one measured phase (a concurrency level, the read run).</summary>
public sealed record LatencySummary(
    string Kind, int Clients, long Operations, long Errors, double Seconds,
    double LatencyMsP50, double LatencyMsP90, double LatencyMsP99, double LatencyMsMax)
{
    public double OperationsPerSecond => Seconds > 0 ? Operations / Seconds : 0;

    /// <summary>The 99.9th percentile, for the workloads' JSON; the tables stop at p99, which a 5 s level
    /// at one client (a few hundred samples) cannot resolve beyond anyway.</summary>
    public double LatencyMsP999 { get; init; } = double.NaN;

    /// <summary>A phase from its samples: successful ones give the latencies, failed ones the error count,
    /// and the span from the first invocation to the last answer the duration.</summary>
    public static LatencySummary OfSamples(string kind, int clients, IReadOnlyList<WriteSample> samples)
    {
        var seconds = samples.Count == 0 ? 0 : (samples.Max(s => s.EndMs) - samples.Min(s => s.StartMs)) / 1000;
        return Of(kind, clients, samples.Where(s => s.Succeeded).Select(s => s.LatencyMs).ToList(), samples.Count(s => !s.Succeeded), seconds);
    }

    /// <summary>Summarises the latencies of the successful operations of a phase that lasted
    /// <paramref name="seconds"/>; <paramref name="errors"/> failed operations count against nothing but are shown.</summary>
    public static LatencySummary Of(string kind, int clients, IReadOnlyList<double> latenciesMs, long errors, double seconds)
    {
        if (latenciesMs.Count == 0)
        {
            return new LatencySummary(kind, clients, 0, errors, seconds, double.NaN, double.NaN, double.NaN, double.NaN);
        }

        var sorted = latenciesMs.Order().ToArray();
        return new LatencySummary(kind, clients, sorted.Length, errors, seconds,
            Percentiles.OfSorted(sorted, 50), Percentiles.OfSorted(sorted, 90), Percentiles.OfSorted(sorted, 99), sorted[^1])
        {
            LatencyMsP999 = Percentiles.OfSorted(sorted, 99.9),
        };
    }
}

/// <summary>Nearest-rank percentiles: the reported value is always one that was measured, never an
/// interpolation between two, so a p99 of a short run is an honest latency some operation had.</summary>
public static class Percentiles
{
    /// <param name="sorted">Ascending, not empty.</param>
    /// <param name="percent">In (0, 100].</param>
    public static double OfSorted(IReadOnlyList<double> sorted, double percent)
    {
        if (sorted.Count == 0)
        {
            throw new ArgumentException("no values to take a percentile of", nameof(sorted));
        }

        if (percent is <= 0 or > 100)
        {
            throw new ArgumentOutOfRangeException(nameof(percent), percent, "a percentile is in (0, 100]");
        }

        // The small epsilon keeps float noise (16.1 * 1000 / 100 = 161.00000000000003) from skipping a rank.
        var rank = (int)Math.Ceiling(percent * sorted.Count / 100 - 1e-9);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }
}
