namespace RaftOrleans.History;

/// <summary>The operations a history records, on a register per key.</summary>
public enum HistoryFunction
{
    Put,
    Get,
    Cas,
}

/// <summary>Jepsen's event types: an invocation, then one completion of the same process.</summary>
public enum HistoryEventType
{
    Invoke,

    /// <summary>It happened; for a get, <see cref="HistoryEvent.Value"/> is what was read. A cas whose
    /// expectation did not hold is ok too (<see cref="HistoryEvent.Refused"/>): it happened, as a read.</summary>
    Ok,

    /// <summary>It certainly did not happen (the request never reached the store's log).</summary>
    Fail,

    /// <summary>Unknown outcome (a timeout): it may have happened, at any time after its invocation.</summary>
    Info,
}

/// <summary>
/// One line of a history file. <see cref="Value"/>: the value a put or cas writes; for a get's ok
/// completion, the value read (null when the key was absent); absent on a get's invocation.
/// <see cref="Expected"/>: a cas's expected value (null: the key must be absent). <see cref="TimeNs"/>:
/// nanoseconds on one monotonic clock shared by all processes.
/// <see cref="Refused"/>: on a cas's ok completion, the expectation did not hold, so nothing was written;
/// <see cref="Seen"/> is then the value the store found instead (null: absent). A refused cas is an
/// observation, as a get is: at its linearization point the key held <see cref="Seen"/>.
/// </summary>
public sealed record HistoryEvent(
    int Process,
    HistoryEventType Type,
    HistoryFunction Function,
    string Key,
    string? Value,
    string? Expected,
    long TimeNs,
    bool Refused = false,
    string? Seen = null)
{
    public override string ToString() => HistoryJson.Format(this);
}

/// <summary>What a process is about to do; <see cref="HistoryRecorder.RecordInvoke"/> takes one.</summary>
public sealed record HistoryOperation(HistoryFunction Function, string Key, string? Value, string? Expected)
{
    public static HistoryOperation Put(string key, string value) => new(HistoryFunction.Put, key, value, null);

    public static HistoryOperation Get(string key) => new(HistoryFunction.Get, key, null, null);

    /// <summary>Compare-and-swap; <paramref name="expected"/> null means "only if absent".</summary>
    public static HistoryOperation Cas(string key, string? expected, string value) => new(HistoryFunction.Cas, key, value, expected);
}
