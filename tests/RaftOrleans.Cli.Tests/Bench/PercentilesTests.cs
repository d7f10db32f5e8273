using RaftOrleans.Cli.Bench;

namespace RaftOrleans.Cli.Tests.Bench;

public sealed class PercentilesTests
{
    private static readonly double[] OneToHundred = Enumerable.Range(1, 100).Select(i => (double)i).ToArray();

    [Theory]
    [InlineData(50, 50)]
    [InlineData(90, 90)]
    [InlineData(99, 99)]
    [InlineData(100, 100)]
    [InlineData(0.5, 1)]
    public void Nearest_rank_of_one_to_a_hundred_is_the_percent_itself(double percent, double expected) =>
        Assert.Equal(expected, Percentiles.OfSorted(OneToHundred, percent));

    [Fact]
    public void Ten_values_give_measured_values_never_interpolations()
    {
        double[] sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1000];

        Assert.Equal(9, Percentiles.OfSorted(sorted, 90));
        Assert.Equal(5, Percentiles.OfSorted(sorted, 50));
        Assert.Equal(1000, Percentiles.OfSorted(sorted, 91));
        Assert.Equal(1000, Percentiles.OfSorted(sorted, 99));
    }

    [Fact]
    public void Float_noise_does_not_skip_a_rank()
    {
        var oneToThousand = Enumerable.Range(1, 1000).Select(i => (double)i).ToArray();

        // 16.1 * 1000 / 100 is 161.00000000000003 in doubles; the rank is 161 all the same.
        Assert.Equal(161, Percentiles.OfSorted(oneToThousand, 16.1));
    }

    [Fact]
    public void A_single_value_is_every_percentile() =>
        Assert.All(new[] { 1.0, 50, 99, 100 }, percent => Assert.Equal(7.5, Percentiles.OfSorted([7.5], percent)));

    [Fact]
    public void No_values_or_a_percent_outside_the_range_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Percentiles.OfSorted([], 50));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.OfSorted(OneToHundred, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.OfSorted(OneToHundred, 100.5));
    }

    [Fact]
    public void A_summary_sorts_its_latencies_and_divides_operations_by_seconds()
    {
        var shuffled = OneToHundred.OrderBy(value => (value * 37) % 101).ToList();

        var summary = LatencySummary.Of("write", 4, shuffled, errors: 3, seconds: 2);

        Assert.Equal((50.0, 90.0, 99.0, 100.0), (summary.LatencyMsP50, summary.LatencyMsP90, summary.LatencyMsP99, summary.LatencyMsMax));
        Assert.Equal(100, summary.Operations);
        Assert.Equal(3, summary.Errors);
        Assert.Equal(50, summary.OperationsPerSecond);
    }

    [Fact]
    public void A_phase_without_a_success_has_no_latency_figures()
    {
        var summary = LatencySummary.Of("read", 1, [], errors: 5, seconds: 1);

        Assert.Equal(0, summary.OperationsPerSecond);
        Assert.True(double.IsNaN(summary.LatencyMsP50));
    }
}
