using System.Globalization;

namespace RaftOrleans.History.Checker;

/// <summary>How an operation ended; an operation still in flight when the history ends counts as <see cref="Info"/>.</summary>
public enum OperationOutcome
{
    Ok,
    Fail,
    Info,
}

/// <summary>
/// An invocation paired with its completion. <see cref="Value"/>: what a put or cas writes, or what an
/// ok get read (null: absent). <see cref="ReturnNs"/> is null for an info operation: it may take effect
/// at any time after its call. <see cref="Refused"/>: an ok cas whose expectation did not hold; it wrote
/// nothing and found <see cref="Seen"/> (null: absent).
/// </summary>
public sealed record CheckedOperation(
    int Process,
    HistoryFunction Function,
    string Key,
    string? Value,
    string? Expected,
    OperationOutcome Outcome,
    long CallNs,
    long? ReturnNs,
    bool Refused = false,
    string? Seen = null)
{
    /// <summary>The end used by the checker: infinite for an info operation.</summary>
    public long EffectiveReturnNs => ReturnNs ?? long.MaxValue;

    public bool IsWrite => Function != HistoryFunction.Get && !Refused;

    /// <summary>One line, times in milliseconds after <paramref name="originNs"/>.</summary>
    public string Describe(long originNs)
    {
        var action = Function switch
        {
            HistoryFunction.Put => $"put {Quote(Key)} := {Quote(Value)}",
            HistoryFunction.Get => Outcome == OperationOutcome.Ok ? $"get {Quote(Key)} -> {Quote(Value)}" : $"get {Quote(Key)}",
            HistoryFunction.Cas when Refused => $"cas {Quote(Key)} {Quote(Expected)} -> {Quote(Value)} refused, found {Quote(Seen)}",
            HistoryFunction.Cas => $"cas {Quote(Key)} {Quote(Expected)} -> {Quote(Value)}",
            _ => Function.ToString(),
        };
        var end = ReturnNs is { } returned ? Milliseconds(returned - originNs) : "never";
        return $"process {Process}: {action} {Outcome.ToString().ToLowerInvariant()} [{Milliseconds(CallNs - originNs)} .. {end}]";
    }

    public override string ToString() => Describe(0);

    private static string Quote(string? text) => text is null ? "(absent)" : $"\"{text}\"";

    private static string Milliseconds(long ns) => (ns / 1e6).ToString("0.000", CultureInfo.InvariantCulture) + " ms";
}
