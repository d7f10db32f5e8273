namespace RaftOrleans.History.Checker;

/// <summary>Turns a history's events into operations: each invocation paired with the next completion
/// of the same process. An invocation with no completion by the end of the history is info.</summary>
internal static class HistoryPairing
{
    public static List<CheckedOperation> Pair(IReadOnlyList<HistoryEvent> events)
    {
        var operations = new List<CheckedOperation>(events.Count / 2 + 1);
        var pending = new Dictionary<int, (HistoryEvent Invoke, int Index)>();
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.Type == HistoryEventType.Invoke)
            {
                if (pending.ContainsKey(e.Process))
                {
                    throw new HistoryFormatException($"event {i + 1}: process {e.Process} invokes while its previous operation is in flight");
                }
                pending.Add(e.Process, (e, i));
                continue;
            }
            if (!pending.Remove(e.Process, out var started))
            {
                throw new HistoryFormatException($"event {i + 1}: process {e.Process} completes an operation it never invoked");
            }
            var invoke = started.Invoke;
            if (invoke.Function != e.Function || invoke.Key != e.Key)
            {
                throw new HistoryFormatException(
                    $"event {i + 1}: process {e.Process} completes {HistoryJson.Name(e.Function)} {e.Key} but invoked {HistoryJson.Name(invoke.Function)} {invoke.Key}");
            }
            if (e.TimeNs < invoke.TimeNs)
            {
                throw new HistoryFormatException($"event {i + 1}: completes at {e.TimeNs} ns, before its invocation at {invoke.TimeNs} ns");
            }
            operations.Add(Complete(invoke, e));
        }
        foreach (var (invoke, _) in pending.Values.OrderBy(p => p.Index))
        {
            operations.Add(new CheckedOperation(invoke.Process, invoke.Function, invoke.Key, invoke.Value,
                invoke.Expected, OperationOutcome.Info, invoke.TimeNs, null));
        }
        return operations;
    }

    private static CheckedOperation Complete(HistoryEvent invoke, HistoryEvent completion)
    {
        var outcome = completion.Type switch
        {
            HistoryEventType.Ok => OperationOutcome.Ok,
            HistoryEventType.Fail => OperationOutcome.Fail,
            _ => OperationOutcome.Info,
        };
        var value = invoke.Function == HistoryFunction.Get ? completion.Value : invoke.Value;
        var refused = outcome == OperationOutcome.Ok && completion.Refused;
        return new CheckedOperation(invoke.Process, invoke.Function, invoke.Key,
            outcome == OperationOutcome.Ok || invoke.Function != HistoryFunction.Get ? value : null,
            invoke.Expected, outcome, invoke.TimeNs, outcome == OperationOutcome.Info ? null : completion.TimeNs,
            refused, refused ? completion.Seen : null);
    }
}
