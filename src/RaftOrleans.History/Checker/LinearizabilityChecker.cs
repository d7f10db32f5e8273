using System.Diagnostics;

namespace RaftOrleans.History.Checker;

/// <summary>
/// Decides whether a history of puts, gets and cas operations on registers is linearizable.
/// Linearizability is compositional (Herlihy and Wing), so each key is checked on its own, smallest
/// first, with the Wing and Gong / Lowe search (<see cref="WglSearch"/>). Fail operations certainly did
/// not happen and are dropped; info operations may have happened at any time after their call. Every
/// key starts absent: a history must begin on an empty store (or on keys the run never wrote before).
/// </summary>
public static class LinearizabilityChecker
{
    public static CheckResult Check(IReadOnlyList<HistoryEvent> history, TimeSpan timeLimit)
    {
        ArgumentNullException.ThrowIfNull(history);
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(timeLimit.TotalSeconds * Stopwatch.Frequency);
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
            var search = WglSearch.Run(RegisterPreparation.Prepare(keyOperations, long.MaxValue, out var source), deadline);
            if (search.Verdict == SearchVerdict.TimedOut)
            {
                return Result(CheckVerdict.Unknown, key, null, []);
            }
            if (search.Verdict == SearchVerdict.NotLinearizable)
            {
                var culprit = FindCulprit(keyOperations, deadline) ?? source[search.StuckOperation];
                return Result(CheckVerdict.NotLinearizable, key, culprit, WindowAround(keyOperations, culprit));
            }
        }
        return Result(CheckVerdict.Linearizable, null, null, []);
    }

    /// <summary>
    /// The operation whose completion first makes this key's history non-linearizable: the smallest
    /// cut time T at which the prefix up to T (operations still running at T counted as info) has no
    /// linearization. Prefixes only gain constraints as T grows, so a binary search over completion
    /// times finds it. Null if time runs out.
    /// </summary>
    private static CheckedOperation? FindCulprit(List<CheckedOperation> operations, long deadline)
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
    /// completed before it began (that write decides what the culprit should have seen).</summary>
    private static List<CheckedOperation> WindowAround(List<CheckedOperation> operations, CheckedOperation culprit)
    {
        var lastWriteBefore = operations
            .Where(o => o.IsWrite && o.Outcome == OperationOutcome.Ok && o.EffectiveReturnNs < culprit.CallNs)
            .MaxBy(o => o.EffectiveReturnNs);
        var fromNs = lastWriteBefore?.CallNs ?? culprit.CallNs;
        return operations
            .Where(o => o.Outcome != OperationOutcome.Fail)
            .Where(o => o.CallNs <= culprit.EffectiveReturnNs && o.EffectiveReturnNs >= fromNs)
            .OrderBy(o => o.CallNs)
            .ToList();
    }
}
