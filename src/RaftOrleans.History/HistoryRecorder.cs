using System.Diagnostics;

namespace RaftOrleans.History;

/// <summary>
/// Records a history as concurrent client processes run: thread-safe, and the lines come out in the
/// order of their timestamps because the time is read under the same lock that appends the line.
/// Time is nanoseconds since the recorder was made, on the monotonic <see cref="Stopwatch"/>.
/// <para>A process has at most one operation in flight. After an <c>info</c> completion the operation
/// may still take effect later; Jepsen then retires the process and carries on under a new number, and
/// callers should do the same (the checker is sound either way: an info operation's end is infinite).</para>
/// </summary>
public sealed class HistoryRecorder : IDisposable
{
    private readonly object _gate = new();
    private readonly TextWriter? _output;
    private readonly List<HistoryEvent> _events = [];
    private readonly Dictionary<int, HistoryEvent> _pending = [];
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();

    /// <summary>Keeps events in memory and, when <paramref name="output"/> is given, writes each as a JSON line.</summary>
    public HistoryRecorder(TextWriter? output = null) => _output = output;

    /// <summary>Records that <paramref name="process"/> starts <paramref name="operation"/>.</summary>
    public void RecordInvoke(int process, HistoryOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        lock (_gate)
        {
            if (_pending.TryGetValue(process, out var inFlight))
            {
                throw new InvalidOperationException($"Process {process} already has {Describe(inFlight)} in flight.");
            }
            var invoke = new HistoryEvent(process, HistoryEventType.Invoke, operation.Function, operation.Key,
                operation.Value, operation.Expected, NowNs());
            _pending.Add(process, invoke);
            Append(invoke);
        }
    }

    /// <summary>Records how <paramref name="process"/>'s operation in flight ended. For an ok get,
    /// <paramref name="readValue"/> is the value read (null: absent); otherwise it is ignored.</summary>
    public void RecordCompletion(int process, HistoryEventType type, string? readValue = null)
    {
        if (type == HistoryEventType.Invoke)
        {
            throw new ArgumentException("A completion is ok, fail or info.", nameof(type));
        }
        lock (_gate)
        {
            if (!_pending.Remove(process, out var invoke))
            {
                throw new InvalidOperationException($"Process {process} has no operation in flight.");
            }
            var value = invoke.Function == HistoryFunction.Get
                ? (type == HistoryEventType.Ok ? readValue : null)
                : invoke.Value;
            Append(invoke with { Type = type, Value = value, TimeNs = NowNs() });
        }
    }

    /// <summary>Records that <paramref name="process"/>'s cas in flight found its expectation did not hold:
    /// an ok completion that wrote nothing and observed <paramref name="seen"/> (null: the key was absent).</summary>
    public void RecordCasRefused(int process, string? seen)
    {
        lock (_gate)
        {
            if (!_pending.TryGetValue(process, out var invoke) || invoke.Function != HistoryFunction.Cas)
            {
                throw new InvalidOperationException($"Process {process} has no cas in flight.");
            }
            _pending.Remove(process);
            Append(invoke with { Type = HistoryEventType.Ok, Refused = true, Seen = seen, TimeNs = NowNs() });
        }
    }

    public void RecordOk(int process, string? readValue = null) => RecordCompletion(process, HistoryEventType.Ok, readValue);

    public void RecordFail(int process) => RecordCompletion(process, HistoryEventType.Fail);

    public void RecordInfo(int process) => RecordCompletion(process, HistoryEventType.Info);

    /// <summary>A copy of the events recorded so far, in order.</summary>
    public IReadOnlyList<HistoryEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return _events.ToArray();
            }
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            _output?.Flush();
        }
    }

    public void Dispose() => Flush();

    private void Append(HistoryEvent e)
    {
        _events.Add(e);
        _output?.WriteLine(HistoryJson.Format(e));
    }

    private long NowNs() =>
        (long)((Int128)(Stopwatch.GetTimestamp() - _startTimestamp) * 1_000_000_000 / Stopwatch.Frequency);

    private static string Describe(HistoryEvent e) => $"{HistoryJson.Name(e.Function)} {e.Key}";
}
