namespace RaftOrleans.Contracts;

/// <summary>
/// One stage of a write as a node measured it since its silo started: how many samples, their sum, and a
/// histogram on <see cref="StageBuckets"/>. Cumulative, so a reader takes one before and one after a run
/// and reads the run's figures from <see cref="Minus"/>; the node keeps nothing per reader and needs no reset.
/// </summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.StageHistogram")]
public sealed record StageHistogram(
    [property: Id(0)] string Stage,
    /// <summary>ms for durations; entries, rows or bytes for sizes.</summary>
    [property: Id(1)] string Unit,
    [property: Id(2)] long Count,
    [property: Id(3)] double Sum,
    /// <summary>Indexes of the non-empty buckets, ascending; <see cref="Counts"/> holds their counts.</summary>
    [property: Id(4)] int[] Buckets,
    [property: Id(5)] long[] Counts)
{
    public double Mean => Count == 0 ? 0 : Sum / Count;

    /// <summary>The value below which a fraction <paramref name="quantile"/> of the samples lie, to within a
    /// bucket's width (about 9%); 0 without samples.</summary>
    public double Percentile(double quantile)
    {
        if (Count == 0) return 0;
        var rank = Math.Max(1, (long)Math.Ceiling(quantile * Count));
        long seen = 0;
        for (var i = 0; i < Buckets.Length; i++)
        {
            seen += Counts[i];
            if (seen >= rank) return StageBuckets.Middle(Buckets[i]);
        }
        return StageBuckets.Middle(Buckets[^1]);
    }

    /// <summary>The samples of both (the same stage on two nodes, say).</summary>
    public StageHistogram Plus(StageHistogram other)
    {
        var merged = new SortedDictionary<int, long>();
        for (var i = 0; i < Buckets.Length; i++) merged[Buckets[i]] = Counts[i];
        for (var i = 0; i < other.Buckets.Length; i++) merged[other.Buckets[i]] = merged.GetValueOrDefault(other.Buckets[i]) + other.Counts[i];
        return this with { Count = Count + other.Count, Sum = Sum + other.Sum, Buckets = merged.Keys.ToArray(), Counts = merged.Values.ToArray() };
    }

    /// <summary>What was recorded after <paramref name="earlier"/> (a reading of the same stage on the same
    /// node; null: none), bucket by bucket.</summary>
    public StageHistogram Minus(StageHistogram? earlier)
    {
        if (earlier is null || earlier.Count == 0) return this;
        var before = new Dictionary<int, long>();
        for (var i = 0; i < earlier.Buckets.Length; i++) before[earlier.Buckets[i]] = earlier.Counts[i];
        var buckets = new List<int>();
        var counts = new List<long>();
        for (var i = 0; i < Buckets.Length; i++)
        {
            var left = Counts[i] - before.GetValueOrDefault(Buckets[i]);
            if (left <= 0) continue;
            buckets.Add(Buckets[i]);
            counts.Add(left);
        }
        return this with { Count = Math.Max(0, Count - earlier.Count), Sum = Sum - earlier.Sum, Buckets = buckets.ToArray(), Counts = counts.ToArray() };
    }
}

/// <summary>Log-scale buckets shared by the node (which fills them) and readers (which read percentiles):
/// <see cref="PerDoubling"/> buckets per power of two from <see cref="Smallest"/> up, so every bucket is
/// about 9% wide, whatever the magnitude (1 µs and 1 s alike, in ms).</summary>
public static class StageBuckets
{
    public const double Smallest = 0.001;
    public const int PerDoubling = 8;
    public const int Count = 320;

    public static int Of(double value)
    {
        if (!(value > Smallest)) return 0; // also NaN
        var bucket = (int)(Math.Log2(value / Smallest) * PerDoubling);
        return Math.Clamp(bucket, 0, Count - 1);
    }

    /// <summary>The geometric middle of <paramref name="bucket"/>'s range.</summary>
    public static double Middle(int bucket) => Smallest * Math.Pow(2, (bucket + 0.5) / PerDoubling);
}
