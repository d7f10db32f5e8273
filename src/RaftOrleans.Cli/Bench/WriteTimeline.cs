namespace RaftOrleans.Cli.Bench;

/// <summary>One write as a client saw it: invoked at <paramref name="StartMs"/>, answered (or given up) at
/// <paramref name="EndMs"/>, both on the benchmark's one clock.</summary>
public readonly record struct WriteSample(double StartMs, double EndMs, bool Succeeded)
{
    public double LatencyMs => EndMs - StartMs;
}

/// <summary>The stretch in which no write succeeded: from the last success before it to the first after it.</summary>
public readonly record struct UnavailabilityGap(double FromMs, double ToMs)
{
    public double LengthMs => ToMs - FromMs;
}

/// <summary>Write unavailability around a leader kill, computed from what the clients saw.</summary>
public static class FailoverGap
{
    /// <summary>The longest interval between consecutive successful write completions that ends after
    /// <paramref name="killMs"/>; null when no write succeeded after the kill.
    /// <para>Why not simply "last success before the kill to first success after it": an answer the old
    /// leader sent just before it died can still land a moment after the kill, and would split the outage
    /// into a tiny gap and the real one. Before the kill the gaps between successes are milliseconds, so the
    /// longest one ending after the kill is the outage. A run with no success before the kill measures
    /// from <paramref name="observedFromMs"/>, the moment the writers started.</para></summary>
    public static UnavailabilityGap? Find(IEnumerable<WriteSample> samples, double killMs, double observedFromMs)
    {
        var successes = samples.Where(sample => sample.Succeeded).Select(sample => sample.EndMs).Order().ToList();
        if (!successes.Any(end => end > killMs))
        {
            return null;
        }

        var previous = successes.LastOrDefault(end => end <= killMs, observedFromMs);
        UnavailabilityGap? longest = null;
        foreach (var end in successes.Where(end => end > killMs))
        {
            var gap = new UnavailabilityGap(previous, end);
            if (longest is null || gap.LengthMs > longest.Value.LengthMs)
            {
                longest = gap;
            }

            previous = end;
        }

        return longest;
    }
}
