using RaftOrleans.Cli.Bench;

namespace RaftOrleans.Cli.Tests.Bench;

public sealed class FailoverGapTests
{
    /// <summary>Writes completing every <paramref name="everyMs"/> from <paramref name="fromMs"/> up to (not including) <paramref name="toMs"/>, each taking 5 ms.</summary>
    private static IEnumerable<WriteSample> Steady(double fromMs, double toMs, double everyMs, bool succeeded = true)
    {
        for (var end = fromMs; end < toMs; end += everyMs)
        {
            yield return new WriteSample(end - 5, end, succeeded);
        }
    }

    [Fact]
    public void The_gap_runs_from_the_last_success_before_the_kill_to_the_first_after_it()
    {
        var timeline = Steady(0, 1000, 10).Concat(Steady(2500, 4000, 10));

        var gap = FailoverGap.Find(timeline, killMs: 1003, observedFromMs: 0);

        Assert.Equal(new UnavailabilityGap(990, 2500), gap);
        Assert.Equal(1510, gap!.Value.LengthMs);
    }

    [Fact]
    public void Failed_writes_inside_the_outage_do_not_end_it()
    {
        var timeline = Steady(0, 1000, 10).Concat(Steady(1100, 2400, 100, succeeded: false)).Concat(Steady(2500, 3000, 10));

        Assert.Equal(new UnavailabilityGap(990, 2500), FailoverGap.Find(timeline, killMs: 1000, observedFromMs: 0));
    }

    [Fact]
    public void An_answer_that_lands_just_after_the_kill_does_not_hide_the_outage()
    {
        // The old leader sent this answer before it died; it arrived 2 ms after the kill.
        var timeline = Steady(0, 1000, 10).Append(new WriteSample(995, 1002, true)).Concat(Steady(3000, 3500, 10));

        Assert.Equal(new UnavailabilityGap(1002, 3000), FailoverGap.Find(timeline, killMs: 1000, observedFromMs: 0));
    }

    [Fact]
    public void Order_of_the_samples_does_not_matter()
    {
        var timeline = Steady(0, 1000, 10).Concat(Steady(2500, 4000, 10)).Reverse().ToList();

        Assert.Equal(new UnavailabilityGap(990, 2500), FailoverGap.Find(timeline, killMs: 1000, observedFromMs: 0));
    }

    [Fact]
    public void No_success_after_the_kill_means_no_recovery_to_measure() =>
        Assert.Null(FailoverGap.Find(Steady(0, 1000, 10).Concat(Steady(1000, 5000, 500, succeeded: false)), killMs: 1000, observedFromMs: 0));

    [Fact]
    public void Without_a_success_before_the_kill_the_gap_starts_when_observation_started() =>
        Assert.Equal(new UnavailabilityGap(200, 1800), FailoverGap.Find(Steady(1800, 2000, 10), killMs: 500, observedFromMs: 200));
}
