using RaftOrleans.History;
using RaftOrleans.History.Checker;

namespace RaftOrleans.History.Tests;

public sealed class LinearizabilityCheckerTests
{
    private static readonly TimeSpan Plenty = TimeSpan.FromMinutes(1);

    private static CheckResult Check(HistoryBuilder history) => LinearizabilityChecker.Check(history.Events, Plenty);

    [Fact]
    public void Sequential_history_is_linearizable()
    {
        var history = new HistoryBuilder()
            .Get(1, "k", null, 0, 10)
            .Put(1, "k", "v1", 20, 30)
            .Get(2, "k", "v1", 40, 50)
            .Cas(1, "k", "v1", "v2", 60, 70)
            .Cas(2, "k", "v1", "v3", 80, 90, HistoryEventType.Fail)
            .Get(2, "k", "v2", 100, 110);

        var result = Check(history);

        Assert.Equal(CheckVerdict.Linearizable, result.Verdict);
        Assert.Equal(new HistoryCounts(6, 5, 1, 0, 1), result.Counts);
    }

    [Fact]
    public void Stale_read_is_not_linearizable()
    {
        var history = new HistoryBuilder()
            .Put(1, "k", "v1", 0, 10)
            .Put(1, "k", "v2", 20, 30)
            .Get(2, "k", "v1", 40, 50);

        var result = Check(history);

        Assert.Equal(CheckVerdict.NotLinearizable, result.Verdict);
        Assert.Equal("k", result.Key);
        Assert.Equal(HistoryFunction.Get, result.Culprit!.Function);
        Assert.Equal("v1", result.Culprit.Value);
        Assert.Equal(["v2", "v1"], result.Window.Select(o => o.Value));
        Assert.Contains("not linearizable", result.Describe());
        Assert.Contains("get \"k\" -> \"v1\"", result.Describe());
    }

    [Fact]
    public void Cas_wrongly_refused_is_not_linearizable()
    {
        // The key held "v1" at every point where the cas could take effect, yet the store refused it and
        // said it found "v1": no linearization has the cas find anything but "v1" there.
        var history = new HistoryBuilder()
            .Put(1, "k", "v1", 0, 10)
            .CasRefused(2, "k", "v1", "v2", "v1", 20, 30)
            .Get(1, "k", "v1", 40, 50);

        var result = Check(history);

        Assert.Equal(CheckVerdict.NotLinearizable, result.Verdict);
        Assert.Equal(HistoryFunction.Cas, result.Culprit!.Function);
        Assert.Contains("cas \"k\" \"v1\" -> \"v2\" refused, found \"v1\"", result.Describe());
    }

    [Fact]
    public void Cas_refused_for_a_value_nobody_wrote_is_not_linearizable()
    {
        // Refused, and the store claims the key was absent, though "v1" was written before and never removed.
        var history = new HistoryBuilder()
            .Put(1, "k", "v1", 0, 10)
            .CasRefused(2, "k", "v1", "v2", null, 20, 30);

        Assert.Equal(CheckVerdict.NotLinearizable, Check(history).Verdict);
    }

    [Fact]
    public void Cas_refused_is_a_read_of_what_it_found()
    {
        // A refused cas that found "v2" orders the concurrent put of "v2" before it; a later read of "v1"
        // would then read back in time.
        HistoryBuilder Refusal() => new HistoryBuilder()
            .Put(1, "k", "v1", 0, 10)
            .Put(3, "k", "v2", 15, 60)
            .CasRefused(2, "k", "v1", "v3", "v2", 20, 30);

        Assert.Equal(CheckVerdict.Linearizable, Check(Refusal()).Verdict);
        Assert.Equal(CheckVerdict.NotLinearizable, Check(Refusal().Get(4, "k", "v1", 40, 50)).Verdict);
    }

    [Fact]
    public void Cas_refused_observes_an_unknown_write()
    {
        // The only sign that the timed-out put of "v2" happened is the refused cas that found it: that is
        // enough, and it also pins the put before the cas returned.
        HistoryBuilder Observed() => new HistoryBuilder()
            .Put(1, "k", "v1", 0, 10)
            .Put(3, "k", "v2", 5, 8, HistoryEventType.Info)
            .CasRefused(2, "k", "v1", "v3", "v2", 20, 30);

        Assert.Equal(CheckVerdict.Linearizable, Check(Observed()).Verdict);
        Assert.Equal(CheckVerdict.NotLinearizable, Check(Observed().Get(4, "k", "v1", 40, 50)).Verdict);
    }

    [Fact]
    public void Lost_write_is_not_linearizable()
    {
        var history = new HistoryBuilder()
            .Put(1, "k", "v1", 0, 10)
            .Get(2, "k", null, 20, 30);

        var result = Check(history);

        Assert.Equal(CheckVerdict.NotLinearizable, result.Verdict);
        Assert.Equal(HistoryFunction.Get, result.Culprit!.Function);
        Assert.Null(result.Culprit.Value);
    }

    [Fact]
    public void Cas_applied_twice_is_not_linearizable()
    {
        var history = new HistoryBuilder()
            .Put(1, "counter", "0", 0, 10)
            .Cas(1, "counter", "0", "1", 20, 30)
            .Cas(2, "counter", "0", "1", 40, 50);

        var result = Check(history);

        Assert.Equal(CheckVerdict.NotLinearizable, result.Verdict);
        Assert.Equal(2, result.Culprit!.Process);
        Assert.Equal(2, result.Window.Count(o => o.Function == HistoryFunction.Cas));
    }

    [Fact]
    public void Concurrent_cases_both_succeeding_from_the_same_value_is_not_linearizable()
    {
        var history = new HistoryBuilder()
            .Put(1, "k", "0", 0, 10)
            .Cas(1, "k", "0", "a", 20, 100)
            .Cas(2, "k", "0", "b", 30, 90);

        Assert.Equal(CheckVerdict.NotLinearizable, Check(history).Verdict);
    }

    [Fact]
    public void Overlapping_operations_may_take_effect_in_any_order()
    {
        // The put overlaps both reads, so one read may see it and the earlier-starting one may not.
        var history = new HistoryBuilder()
            .Put(1, "k", "v1", 0, 100)
            .Get(2, "k", "v1", 10, 20)
            .Get(3, "k", null, 5, 30)
            .Cas(4, "k", "v1", "v2", 15, 120)
            .Get(2, "k", "v2", 110, 130);

        Assert.Equal(CheckVerdict.Linearizable, Check(history).Verdict);
    }

    [Fact]
    public void Reads_must_not_go_back_in_time()
    {
        // Both reads overlap the put, but once one read has returned v1 a later read cannot see the old value.
        var history = new HistoryBuilder()
            .Put(1, "k", "v1", 0, 100)
            .Get(2, "k", "v1", 10, 20)
            .Get(3, "k", null, 30, 40);

        var result = Check(history);

        Assert.Equal(CheckVerdict.NotLinearizable, result.Verdict);
        Assert.Equal(3, result.Culprit!.Process);
    }

    [Fact]
    public void Info_write_may_have_happened()
    {
        var history = new HistoryBuilder()
            .Put(1, "k", "v1", 0, 10)
            .Put(2, "k", "v2", 20, 30, HistoryEventType.Info)
            .Get(3, "k", "v2", 1_000, 1_010);

        Assert.Equal(CheckVerdict.Linearizable, Check(history).Verdict);
    }

    [Fact]
    public void Info_write_may_not_have_happened()
    {
        var history = new HistoryBuilder()
            .Put(1, "k", "v1", 0, 10)
            .Put(2, "k", "v2", 20, 30, HistoryEventType.Info)
            .Cas(4, "k", "v1", "v3", 40, 50, HistoryEventType.Info)
            .Get(3, "k", "v1", 1_000, 1_010);

        Assert.Equal(CheckVerdict.Linearizable, Check(history).Verdict);
    }

    [Fact]
    public void Info_write_cannot_be_undone_once_seen()
    {
        var history = new HistoryBuilder()
            .Put(1, "k", "v1", 0, 10)
            .Put(2, "k", "v2", 20, 30, HistoryEventType.Info)
            .Get(3, "k", "v2", 1_000, 1_010)
            .Get(3, "k", "v1", 1_020, 1_030);

        Assert.Equal(CheckVerdict.NotLinearizable, Check(history).Verdict);
    }

    [Fact]
    public void Info_write_cannot_take_effect_before_it_was_invoked()
    {
        var history = new HistoryBuilder()
            .Get(3, "k", "v2", 0, 10)
            .Put(2, "k", "v2", 20, 30, HistoryEventType.Info);

        Assert.Equal(CheckVerdict.NotLinearizable, Check(history).Verdict);
    }

    [Fact]
    public void Operation_still_in_flight_at_the_end_counts_as_info()
    {
        var history = new HistoryBuilder()
            .Put(2, "k", "v2", 20, null)
            .Get(3, "k", "v2", 1_000, 1_010);

        var result = Check(history);

        Assert.Equal(CheckVerdict.Linearizable, result.Verdict);
        Assert.Equal(1, result.Counts.Info);
    }

    [Fact]
    public void Failed_write_did_not_happen()
    {
        var history = new HistoryBuilder()
            .Put(1, "k", "v9", 0, 10, HistoryEventType.Fail)
            .Get(2, "k", "v9", 20, 30);

        Assert.Equal(CheckVerdict.NotLinearizable, Check(history).Verdict);
    }

    [Fact]
    public void Keys_are_independent_registers()
    {
        var history = new HistoryBuilder()
            .Put(1, "a", "1", 0, 10)
            .Put(1, "b", "2", 20, 30)
            .Get(2, "a", "1", 40, 50)
            .Get(2, "b", "2", 60, 70)
            .Get(2, "c", null, 80, 90);

        var result = Check(history);

        Assert.Equal(CheckVerdict.Linearizable, result.Verdict);
        Assert.Equal(3, result.Counts.Keys);
    }

    [Fact]
    public void Culprit_is_the_earliest_operation_that_cannot_be_explained()
    {
        // Key k goes wrong at the first stale read (process 3), long before the later junk read.
        var history = new HistoryBuilder()
            .Put(1, "k", "a", 0, 10)
            .Put(1, "k", "b", 20, 30)
            .Get(2, "k", "b", 40, 50)
            .Get(3, "k", "a", 60, 70)
            .Put(1, "k", "c", 80, 90)
            .Get(2, "k", "c", 100, 110)
            .Get(2, "k", "zzz", 120, 130);

        var result = Check(history);

        Assert.Equal(CheckVerdict.NotLinearizable, result.Verdict);
        Assert.Equal(3, result.Culprit!.Process);
        Assert.DoesNotContain(result.Window, o => o.Value == "zzz");
    }

    [Fact]
    public void Large_random_correct_history_is_linearizable()
    {
        var events = RandomHistory.Generate(seed: 1, processes: 12, keys: 20, operationsPerProcess: 1_500);

        var result = LinearizabilityChecker.Check(events, Plenty);

        Assert.True(result.Verdict == CheckVerdict.Linearizable, result.Describe());
        Assert.Equal(18_000, result.Counts.Operations);
        Assert.True(result.Counts.Info > 100, result.Describe());
        Assert.True(events.Count(e => e.Refused) > 100, $"only {events.Count(e => e.Refused)} refused cas operations");
    }

    [Theory]
    [InlineData(9)]
    [InlineData(10)]
    public void Random_history_with_one_cas_wrongly_refused_is_not_linearizable(int seed)
    {
        // A store that refuses a cas whose expectation held, and answers with the value it found (the
        // expected one), as a buggy comparison would.
        var events = RandomHistory.Generate(seed, processes: 8, keys: 10, operationsPerProcess: 800);
        var swaps = events.Select((e, i) => (e, i))
            .Where(x => x.e is { Type: HistoryEventType.Ok, Function: HistoryFunction.Cas, Refused: false }).ToList();
        var (swap, index) = swaps[new Random(seed).Next(swaps.Count)];
        events[index] = swap with { Refused = true, Seen = swap.Expected };

        var result = LinearizabilityChecker.Check(events, Plenty);

        Assert.Equal(CheckVerdict.NotLinearizable, result.Verdict);
        Assert.Equal(swap.Key, result.Key);
        // The culprit may be the refused cas or a read concurrent with it that needed its swap; either way
        // the report shows the refusal (written values are unique, so the value names the operation).
        Assert.Contains(result.Window, o => o.Refused && o.Process == swap.Process && o.Value == swap.Value);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Random_history_with_one_corrupted_read_is_not_linearizable(int seed)
    {
        var events = RandomHistory.Generate(seed, processes: 8, keys: 10, operationsPerProcess: 800);
        var reads = events.Select((e, i) => (e, i))
            .Where(x => x.e.Type == HistoryEventType.Ok && x.e.Function == HistoryFunction.Get).ToList();
        var (read, index) = reads[new Random(seed).Next(reads.Count)];
        events[index] = read with { Value = "never-written" };

        var result = LinearizabilityChecker.Check(events, Plenty);

        Assert.Equal(CheckVerdict.NotLinearizable, result.Verdict);
        Assert.Equal(read.Key, result.Key);
        Assert.Equal("never-written", result.Culprit!.Value);
        Assert.Equal(read.Process, result.Culprit.Process);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void Random_history_with_one_stale_read_is_not_linearizable(int seed)
    {
        var events = RandomHistory.Generate(seed, processes: 8, keys: 10, operationsPerProcess: 800);
        var (index, staleValue) = FindProvablyStaleValue(events);
        events[index] = events[index] with { Value = staleValue };

        var result = LinearizabilityChecker.Check(events, Plenty);

        Assert.Equal(CheckVerdict.NotLinearizable, result.Verdict);
        Assert.Equal(events[index].Key, result.Key);
        Assert.Equal((events[index].Process, HistoryFunction.Get, staleValue),
            (result.Culprit!.Process, result.Culprit.Function, result.Culprit.Value));
    }

    [Theory]
    [InlineData(7)]
    [InlineData(8)]
    public void Both_ways_of_finding_the_culprit_agree(int seed)
    {
        var events = RandomHistory.Generate(seed, processes: 6, keys: 1, operationsPerProcess: 300);
        var (index, staleValue) = FindProvablyStaleValue(events);
        events[index] = events[index] with { Value = staleValue };
        var operations = HistoryPairing.Pair(events);
        var prepared = RegisterPreparation.Prepare(operations, long.MaxValue, out var source);

        var jit = JitSearch.Run(prepared, long.MaxValue, int.MaxValue);
        var binarySearch = LinearizabilityChecker.FindCulprit(operations, long.MaxValue);

        Assert.Equal(SearchVerdict.NotLinearizable, jit.Verdict);
        Assert.Same(source[jit.StuckOperation], binarySearch);
    }

    [Fact]
    public void Time_limit_gives_unknown()
    {
        // 22 concurrent writes of distinct values and a read of a value none wrote: no linearization
        // exists, but proving it means trying every subset of writes, far more than the limit allows.
        var history = new HistoryBuilder();
        for (var process = 0; process < 22; process++)
        {
            history.Put(process, "k", $"v{process}", process, 1_000 + process);
        }
        history.Get(99, "k", "nobody-wrote-this", 50, 2_000);

        var result = LinearizabilityChecker.Check(history.Events, TimeSpan.FromMilliseconds(100));

        Assert.Equal(CheckVerdict.Unknown, result.Verdict);
        Assert.Equal("k", result.Key);
        Assert.StartsWith("unknown", result.Describe());
    }

    [Fact]
    public void Huge_time_limit_means_no_limit()
    {
        var history = new HistoryBuilder().Put(1, "k", "v", 0, 10).Get(2, "k", "v", 20, 30);

        Assert.Equal(CheckVerdict.Linearizable, LinearizabilityChecker.Check(history.Events, TimeSpan.MaxValue).Verdict);
    }

    [Fact]
    public void Completion_without_invocation_is_a_format_error()
    {
        HistoryEvent[] events = [new(1, HistoryEventType.Ok, HistoryFunction.Put, "k", "v", null, 10)];

        Assert.Throws<HistoryFormatException>(() => LinearizabilityChecker.Check(events, Plenty));
    }

    [Fact]
    public void Completion_of_another_operation_is_a_format_error()
    {
        HistoryEvent[] events =
        [
            new(1, HistoryEventType.Invoke, HistoryFunction.Put, "k", "v", null, 0),
            new(1, HistoryEventType.Ok, HistoryFunction.Put, "other", "v", null, 10),
        ];

        Assert.Throws<HistoryFormatException>(() => LinearizabilityChecker.Check(events, Plenty));
    }

    /// <summary>An ok get and a value of its key that was certainly overwritten before the get began: an
    /// ok put of that value, then an ok put that began after it ended and ended before the get began.
    /// Every value is written by one operation only, so nothing can bring the old value back.</summary>
    private static (int Index, string Value) FindProvablyStaleValue(List<HistoryEvent> events)
    {
        var invokeTime = new Dictionary<int, long>();
        var completedPuts = new Dictionary<string, List<(long Call, long Return, string Value)>>();
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.Type == HistoryEventType.Invoke)
            {
                invokeTime[e.Process] = e.TimeNs;
                continue;
            }
            if (e.Type != HistoryEventType.Ok || e.Function == HistoryFunction.Cas)
            {
                continue;
            }
            var puts = completedPuts.TryGetValue(e.Key, out var list) ? list : completedPuts[e.Key] = [];
            if (e.Function == HistoryFunction.Put)
            {
                puts.Add((invokeTime[e.Process], e.TimeNs, e.Value!));
                continue;
            }
            var call = invokeTime[e.Process];
            foreach (var older in puts)
            {
                var overwritten = puts.Any(newer => newer.Call > older.Return && newer.Return < call && newer.Value != older.Value);
                if (overwritten && older.Value != e.Value)
                {
                    return (i, older.Value);
                }
            }
        }
        throw new InvalidOperationException("the random history has no read with a provably stale value; pick another seed");
    }
}
