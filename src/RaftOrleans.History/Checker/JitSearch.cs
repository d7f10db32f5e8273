using System.Diagnostics;

namespace RaftOrleans.History.Checker;

/// <summary>
/// Lowe's just-in-time linearization, breadth first ("Testing for linearizability", 2017): walk the
/// calls and returns in time order keeping every configuration the history so far allows: a model state
/// plus which still-running operations were already linearized. An operation is linearized only when its
/// return forces it, possibly after some other running operations. Nothing is ever revisited, so proving
/// a violation costs no more than accepting a history, unlike a depth-first search that must exhaust
/// every alternative back to the start. The first return that leaves no configuration is the culprit.
/// The price is width: with many operations running at once the configurations multiply, so the search
/// gives up past <c>maxConfigurations</c> per step.
/// </summary>
internal sealed class JitSearch
{
    private readonly RegisterOperation[] _operations;
    private readonly List<int> _running = [];

    private JitSearch(RegisterOperation[] operations) => _operations = operations;

    /// <summary>Gives up when one step holds more than <paramref name="maxConfigurations"/> configurations.</summary>
    public static SearchOutcome Run(RegisterOperation[] operations, long deadlineTimestamp, int maxConfigurations) =>
        new JitSearch(operations).Search(deadlineTimestamp, maxConfigurations);

    private SearchOutcome Search(long deadlineTimestamp, int maxConfigurations)
    {
        var frontier = new HashSet<Configuration> { new(RegisterModel.Absent, []) };
        foreach (var (operation, isCall) in EntriesInTimeOrder())
        {
            if (Stopwatch.GetTimestamp() > deadlineTimestamp)
            {
                return new SearchOutcome(SearchVerdict.TimedOut, operation, 0);
            }
            if (isCall)
            {
                _running.Add(operation);
                continue;
            }
            var next = Force(operation, frontier, maxConfigurations);
            if (next is null)
            {
                return new SearchOutcome(SearchVerdict.GaveUp, operation, 0);
            }
            if (next.Count == 0)
            {
                return new SearchOutcome(SearchVerdict.NotLinearizable, operation, 0);
            }
            _running.Remove(operation);
            frontier = next;
        }
        return new SearchOutcome(SearchVerdict.Linearizable, -1, _operations.Length);
    }

    /// <summary>The configurations in which <paramref name="returning"/> has been linearized, reached from
    /// <paramref name="frontier"/> by linearizing any running operations first; null if too many.</summary>
    private HashSet<Configuration>? Force(int returning, HashSet<Configuration> frontier, int maxConfigurations)
    {
        var forced = new HashSet<Configuration>();
        var visited = new HashSet<Configuration>(frontier);
        var work = new Stack<Configuration>(frontier);
        while (work.Count > 0)
        {
            var configuration = work.Pop();
            if (configuration.Contains(returning))
            {
                forced.Add(configuration.Without(returning));
                continue;
            }
            foreach (var candidate in _running)
            {
                if (configuration.Contains(candidate)
                    || !RegisterModel.TryStep(_operations[candidate], configuration.State, out var state))
                {
                    continue;
                }
                var extended = configuration.With(candidate, state);
                if (visited.Add(extended))
                {
                    if (visited.Count > maxConfigurations)
                    {
                        return null;
                    }
                    work.Push(extended);
                }
            }
        }
        return forced;
    }

    private IEnumerable<(int Operation, bool IsCall)> EntriesInTimeOrder()
    {
        var entries = new List<(long Time, bool IsCall, int Operation)>(_operations.Length * 2);
        for (var i = 0; i < _operations.Length; i++)
        {
            entries.Add((_operations[i].CallNs, true, i));
            if (_operations[i].ReturnNs != long.MaxValue)
            {
                entries.Add((_operations[i].ReturnNs, false, i));
            }
        }
        // At equal times calls go first: operations that merely touch count as concurrent.
        return entries.OrderBy(e => e.Time).ThenBy(e => e.IsCall ? 0 : 1).ThenBy(e => e.Operation)
            .Select(e => (e.Operation, e.IsCall));
    }

    /// <summary>A model state and the running operations already linearized (sorted ids).</summary>
    private sealed class Configuration(int state, int[] linearized) : IEquatable<Configuration>
    {
        private readonly int _hash = HashOf(state, linearized);

        public int State { get; } = state;

        private int[] Linearized { get; } = linearized;

        public bool Contains(int operation) => Array.BinarySearch(Linearized, operation) >= 0;

        public Configuration With(int operation, int newState)
        {
            var ids = new int[Linearized.Length + 1];
            var at = ~Array.BinarySearch(Linearized, operation);
            Array.Copy(Linearized, ids, at);
            ids[at] = operation;
            Array.Copy(Linearized, at, ids, at + 1, Linearized.Length - at);
            return new Configuration(newState, ids);
        }

        public Configuration Without(int operation) =>
            new(State, Array.FindAll(Linearized, id => id != operation));

        public bool Equals(Configuration? other) =>
            other is not null && _hash == other._hash && State == other.State
            && Linearized.AsSpan().SequenceEqual(other.Linearized);

        public override bool Equals(object? obj) => Equals(obj as Configuration);

        public override int GetHashCode() => _hash;

        private static int HashOf(int state, int[] linearized)
        {
            var hash = new HashCode();
            hash.Add(state);
            foreach (var id in linearized)
            {
                hash.Add(id);
            }
            return hash.ToHashCode();
        }
    }
}
