namespace RaftOrleans.Cli.Bench;

/// <summary>Throughput and latency percentiles of one measured phase (a concurrency level, the read run).</summary>
public sealed record LatencySummary(
    string Kind, int Clients, long Operations, long Errors, double Seconds,
    double LatencyMsP50, double LatencyMsP90, double LatencyMsP99, double LatencyMsMax)
{
    public double OperationsPerSecond => Seconds > 0 ? Operations / Seconds : 0;

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
            Percentiles.OfSorted(sorted, 50), Percentiles.OfSorted(sorted, 90), Percentiles.OfSorted(sorted, 99), sorted[^1]);
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
