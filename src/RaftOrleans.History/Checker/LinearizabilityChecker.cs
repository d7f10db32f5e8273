using System.Diagnostics;

namespace RaftOrleans.History.Checker;

/// <summary>
/// Decides whether a history of puts, gets and cas operations on registers is linearizable.
/// Linearizability is compositional (Herlihy and Wing), so each key is checked on its own, smallest
/// first, with the Wing and Gong / Lowe search (<see cref="WglSearch"/>). Fail operations certainly did
/// not happen and are dropped; info operations may have happened at any time after their call; a refused
/// cas (ok, swapped false) is a read of the value it found, which must differ from the one it expected. Every
/// key starts absent: a history must begin on an empty store (or on keys the run never wrote before).
/// </summary>
/// <remarks>Two searches, both exact: <see cref="JitSearch"/> (Lowe's just-in-time linearization,
/// breadth first) and, when too many operations overlap for it, <see cref="WglSearch"/> (Wing and Gong
/// with Lowe's memoisation, as in Porcupine). Both see the operations after
/// <see cref="RegisterPreparation"/>'s exact rewrites of unknown-outcome writes.</remarks>
public static class LinearizabilityChecker
{
    public static CheckResult Check(IReadOnlyList<HistoryEvent> history, TimeSpan timeLimit)
    {
        ArgumentNullException.ThrowIfNull(history);
        var started = Stopwatch.GetTimestamp();
        var limitTicks = Math.Max(0, timeLimit.TotalSeconds) * Stopwatch.Frequency;
        var deadline = limitTicks >= long.MaxValue - started ? long.MaxValue : started + (long)limitTicks;
        var operations = HistoryPairing.Pair(history);
        var byKey = operations.GroupBy(o => o.Key, StringComparer.Ordinal)
            .Select(g => (Key: g.Key, Operations: g.ToList()))
            .OrderBy(g => g.Operations.Count).ThenBy(g => g.Key, StringComparer.Ordinal)
            .ToList();
        var counts = new HistoryCounts(operations.Count,
            operations.Count(o => o.Outcome == OperationOutcome.Ok),
            operations.Count(o => o.Outcome == OperationOutcome.Fail),
            operations.Count(o => o.Outcome == OperationOutcome.Info),
            byKey.Count);
        var origin = history.Count == 0 ? 0 : history.Min(e => e.TimeNs);
        CheckResult Result(CheckVerdict verdict, string? key, CheckedOperation? culprit, IReadOnlyList<CheckedOperation> window) =>
            new(verdict, counts, key, culprit, window, origin, Stopwatch.GetElapsedTime(started));

        foreach (var (key, keyOperations) in byKey)
        {
            var (verdict, culprit) = CheckKey(keyOperations, deadline);
            if (verdict == SearchVerdict.TimedOut)
            {
                return Result(CheckVerdict.Unknown, key, null, []);
            }
            if (verdict == SearchVerdict.NotLinearizable)
            {
                return Result(CheckVerdict.NotLinearizable, key, culprit, WindowAround(keyOperations, culprit!));
            }
        }
        return Result(CheckVerdict.Linearizable, null, null, []);
    }

    /// <summary>Most configurations the just-in-time search may hold for one step: past that, many
    /// operations overlap and the depth-first search, whose memory grows differently, is the better bet.</summary>
    private const int MaxJitConfigurations = 100_000;

    /// <summary>Least time the Wing and Gong search gets on a key before the other search is tried.</summary>
    private const long MinWglSliceSeconds = 2;

    /// <summary>
    /// Decides one key. The Wing and Gong search is fastest on a linearizable history (it runs forward
    /// greedily), but proving a violation makes it exhaust every alternative back to the start; so it gets
    /// a quarter of the remaining time (at least two seconds). The just-in-time search proves a violation as fast
    /// as it accepts a history and names the culprit directly, but grows wide when many operations
    /// overlap. Each covers the other's weakness; the last resort is the Wing and Gong search until the
    /// deadline, with a binary search over prefixes for the culprit.
    /// </summary>
    private static (SearchVerdict Verdict, CheckedOperation? Culprit) CheckKey(List<CheckedOperation> operations, long deadline)
    {
        var prepared = RegisterPreparation.Prepare(operations, long.MaxValue, out var source);
        var now = Stopwatch.GetTimestamp();
        var slice = Math.Max(MinWglSliceSeconds * Stopwatch.Frequency, (deadline - now) / 4);
        var wgl = WglSearch.Run(prepared, deadline, giveUpTimestamp: now + slice);
        if (wgl.Verdict is SearchVerdict.Linearizable or SearchVerdict.TimedOut)
        {
            return (wgl.Verdict, null);
        }
        var jit = JitSearch.Run(prepared, deadline, MaxJitConfigurations);
        if (jit.Verdict is SearchVerdict.Linearizable or SearchVerdict.NotLinearizable)
        {
            return (jit.Verdict, jit.Verdict == SearchVerdict.NotLinearizable ? source[jit.StuckOperation] : null);
        }
        if (wgl.Verdict == SearchVerdict.GaveUp)
        {
            wgl = WglSearch.Run(prepared, deadline);
            if (wgl.Verdict != SearchVerdict.NotLinearizable)
            {
                return (wgl.Verdict, null);
            }
        }
        // A proven violation: name the earliest culprit, or where the search got stuck if time runs out.
        return (SearchVerdict.NotLinearizable, FindCulprit(operations, deadline) ?? source[wgl.StuckOperation]);
    }

    /// <summary>
    /// The operation whose completion first makes this key's history non-linearizable: the smallest
    /// cut time T at which the prefix up to T (operations still running at T counted as info) has no
    /// linearization. Prefixes only gain constraints as T grows, so a binary search over completion
    /// times finds it. Null if time runs out.
    /// </summary>
    internal static CheckedOperation? FindCulprit(List<CheckedOperation> operations, long deadline)
    {
        var completed = operations
            .Where(o => o.Outcome == OperationOutcome.Ok && !(o.Function == HistoryFunction.Put))
            .OrderBy(o => o.EffectiveReturnNs).ToList();
        // Only ok gets and ok cas constrain the register: a put is always possible, so a prefix can
        // only become non-linearizable at the completion of one of these.
        var low = 0;
        var high = completed.Count - 1;
        while (low < high)
        {
            var middle = (low + high) / 2;
            var prefix = RegisterPreparation.Prepare(operations, completed[middle].EffectiveReturnNs, out _);
            var search = WglSearch.Run(prefix, deadline);
            switch (search.Verdict)
            {
                case SearchVerdict.TimedOut:
                    return null;
                case SearchVerdict.NotLinearizable:
                    high = middle;
                    break;
                default:
                    low = middle + 1;
                    break;
            }
        }
        return completed.Count == 0 ? null : completed[low];
    }

    /// <summary>The culprit, everything concurrent with it, and everything since the last write that
    /// completed before it began (that write decides what the culprit should have seen). Operations are
    /// seen as the search saw them: an unknown-outcome write that nothing observed cannot matter and is
    /// left out, and one whose value was observed ends at its first observer.</summary>
    private static List<CheckedOperation> WindowAround(List<CheckedOperation> operations, CheckedOperation culprit)
    {
        var prepared = RegisterPreparation.Prepare(operations, long.MaxValue, out var source);
        var seen = prepared.Select((op, i) => (Operation: source[i], op.CallNs, op.ReturnNs)).ToList();
        var lastWriteBefore = seen
            .Where(o => o.Operation.IsWrite && o.ReturnNs < culprit.CallNs)
            .OrderBy(o => o.ReturnNs).LastOrDefault();
        var fromNs = lastWriteBefore.Operation is null ? culprit.CallNs : lastWriteBefore.CallNs;
        return seen
            .Where(o => o.CallNs <= culprit.EffectiveReturnNs && o.ReturnNs >= fromNs)
            .Select(o => o.Operation)
            .ToList();
    }
}
