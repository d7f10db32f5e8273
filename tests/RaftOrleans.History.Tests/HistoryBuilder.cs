using RaftOrleans.History;

namespace RaftOrleans.History.Tests;

/// <summary>Builds a history from operations given as intervals, then orders the events by time as a
/// recorder would have written them.</summary>
internal sealed class HistoryBuilder
{
    private readonly List<HistoryEvent> _events = [];

    public IReadOnlyList<HistoryEvent> Events =>
        _events.Select((e, i) => (e, i)).OrderBy(x => x.e.TimeNs).ThenBy(x => x.i).Select(x => x.e).ToList();

    public HistoryBuilder Put(int process, string key, string value, long call, long? ret, HistoryEventType outcome = HistoryEventType.Ok) =>
        Add(process, HistoryOperation.Put(key, value), call, ret, outcome, null);

    public HistoryBuilder Get(int process, string key, string? read, long call, long? ret, HistoryEventType outcome = HistoryEventType.Ok) =>
        Add(process, HistoryOperation.Get(key), call, ret, outcome, read);

    public HistoryBuilder Cas(int process, string key, string? expected, string value, long call, long? ret,
        HistoryEventType outcome = HistoryEventType.Ok) =>
        Add(process, HistoryOperation.Cas(key, expected, value), call, ret, outcome, null);

    /// <summary>A cas that completed ok but did not swap: its expectation did not hold, the store found
    /// <paramref name="seen"/> (null: absent).</summary>
    public HistoryBuilder CasRefused(int process, string key, string? expected, string value, string? seen, long call, long ret)
    {
        var op = HistoryOperation.Cas(key, expected, value);
        _events.Add(new HistoryEvent(process, HistoryEventType.Invoke, op.Function, op.Key, op.Value, op.Expected, call));
        _events.Add(new HistoryEvent(process, HistoryEventType.Ok, op.Function, op.Key, op.Value, op.Expected, ret, Refused: true, Seen: seen));
        return this;
    }

    /// <summary><paramref name="ret"/> null: the operation never completes (still in flight at the end).</summary>
    private HistoryBuilder Add(int process, HistoryOperation op, long call, long? ret, HistoryEventType outcome, string? read)
    {
        _events.Add(new HistoryEvent(process, HistoryEventType.Invoke, op.Function, op.Key, op.Value, op.Expected, call));
        if (ret is { } returned)
        {
            var value = op.Function == HistoryFunction.Get ? (outcome == HistoryEventType.Ok ? read : null) : op.Value;
            _events.Add(new HistoryEvent(process, outcome, op.Function, op.Key, value, op.Expected, returned));
        }
        return this;
    }
}
