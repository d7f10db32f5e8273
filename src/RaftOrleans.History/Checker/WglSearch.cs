using System.Diagnostics;

namespace RaftOrleans.History.Checker;

internal enum SearchVerdict
{
    Linearizable,
    NotLinearizable,
    TimedOut,

    /// <summary>The search went past its own size budget; another search may still decide.</summary>
    GaveUp,
}

/// <summary>The search's answer; when not linearizable, <see cref="StuckOperation"/> is the operation
/// that could not be linearized at the deepest point the search reached.</summary>
internal readonly record struct SearchOutcome(SearchVerdict Verdict, int StuckOperation, int DeepestLinearized);

/// <summary>
/// Wing and Gong's linearizability search with Lowe's improvements, as in Porcupine. Calls and returns
/// sit in one doubly linked list in time order. The search walks it: at a call it tries to linearize that
/// operation next (the model must accept it); it then "lifts" the call and its return out of the list
/// and starts again from the head. Reaching a return means that operation had to be linearized by now
/// and was not: backtrack (pop the last choice, "unlift" it, try the next call). Lowe's memoisation
/// prunes a choice that leads to a (set of linearized operations, model state) pair seen before, since
/// what can follow depends on nothing else.
/// </summary>
internal sealed class WglSearch
{
    private const int NoEntry = -1;

    private readonly RegisterOperation[] _operations;
    private readonly int _head;
    private readonly int[] _next;
    private readonly int[] _prev;
    private readonly LinearizedSet _linearized;

    private WglSearch(RegisterOperation[] operations)
    {
        _operations = operations;
        // Entry 2i is operation i's call and 2i+1 its return; the head sentinel comes last.
        _head = operations.Length * 2;
        _next = new int[_head + 1];
        _prev = new int[_head + 1];
        _linearized = new LinearizedSet(operations.Length);
        LinkInTimeOrder();
    }

    /// <summary>Searches for a linearization of <paramref name="operations"/> (one key, call order),
    /// timing out when <see cref="Stopwatch.GetTimestamp"/> passes <paramref name="deadlineTimestamp"/> and
    /// giving up, to let another search try, when it passes <paramref name="giveUpTimestamp"/>.</summary>
    public static SearchOutcome Run(RegisterOperation[] operations, long deadlineTimestamp, long giveUpTimestamp = long.MaxValue) =>
        new WglSearch(operations).Search(deadlineTimestamp, giveUpTimestamp);

    private SearchOutcome Search(long deadlineTimestamp, long giveUpTimestamp)
    {
        var seen = new HashSet<LinearizedSet.Key>();
        var choices = new Stack<(int Operation, int StateBefore)>();
        var state = RegisterModel.Absent;
        var deepest = -1;
        var stuck = -1;
        var entry = _next[_head];
        for (long step = 0; _next[_head] != NoEntry; step++)
        {
            if ((step & 1023) == 0 && Stopwatch.GetTimestamp() is var now && now > Math.Min(deadlineTimestamp, giveUpTimestamp))
            {
                return new SearchOutcome(now > deadlineTimestamp ? SearchVerdict.TimedOut : SearchVerdict.GaveUp, stuck, deepest);
            }
            var operation = entry >> 1;
            if ((entry & 1) == 0)
            {
                if (RegisterModel.TryStep(_operations[operation], state, out var next)
                    && seen.Add(_linearized.KeyWith(operation, next)))
                {
                    _linearized.Add(operation);
                    choices.Push((operation, state));
                    state = next;
                    Lift(entry);
                    entry = _next[_head];
                }
                else
                {
                    entry = _next[entry];
                }
                continue;
            }
            if (_linearized.Count > deepest)
            {
                deepest = _linearized.Count;
                stuck = operation;
            }
            if (choices.Count == 0)
            {
                return new SearchOutcome(SearchVerdict.NotLinearizable, stuck, deepest);
            }
            var (undone, stateBefore) = choices.Pop();
            _linearized.Remove(undone);
            state = stateBefore;
            Unlift(undone * 2);
            entry = _next[undone * 2];
        }
        return new SearchOutcome(SearchVerdict.Linearizable, -1, _operations.Length);
    }

    private void LinkInTimeOrder()
    {
        var entries = Enumerable.Range(0, _head).ToArray();
        // Time order; at equal times calls go first, so operations that merely touch count as
        // concurrent (the permissive reading of a tie).
        Array.Sort(entries, (a, b) =>
        {
            var byTime = Time(a).CompareTo(Time(b));
            if (byTime != 0)
            {
                return byTime;
            }
            var callsFirst = (a & 1).CompareTo(b & 1);
            return callsFirst != 0 ? callsFirst : a.CompareTo(b);
        });
        var previous = _head;
        foreach (var e in entries)
        {
            _next[previous] = e;
            _prev[e] = previous;
            previous = e;
        }
        _next[previous] = NoEntry;
    }

    private long Time(int entry) =>
        (entry & 1) == 0 ? _operations[entry >> 1].CallNs : _operations[entry >> 1].ReturnNs;

    // Dancing links: unlink the call and its return; Unlift restores them in the reverse order.
    private void Lift(int call)
    {
        var ret = call + 1;
        _next[_prev[call]] = _next[call];
        _prev[_next[call]] = _prev[call];
        _next[_prev[ret]] = _next[ret];
        if (_next[ret] != NoEntry)
        {
            _prev[_next[ret]] = _prev[ret];
        }
    }

    private void Unlift(int call)
    {
        var ret = call + 1;
        if (_next[ret] != NoEntry)
        {
            _prev[_next[ret]] = ret;
        }
        _next[_prev[ret]] = ret;
        _prev[_next[call]] = call;
        _next[_prev[call]] = call;
    }
}
