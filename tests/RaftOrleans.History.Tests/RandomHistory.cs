using RaftOrleans.History;

namespace RaftOrleans.History.Tests;

/// <summary>
/// A history made from a correct execution: every operation takes effect at one instant inside its
/// interval, in a single global order, so the history is linearizable by construction. Processes run
/// one operation at a time; intervals of different processes overlap at random. Some writes end in
/// info (a timeout), and of those some took effect and some did not. A cas whose expectation does not
/// hold is an ok refusal that found the current value, as `raftctl load` records it.
/// </summary>
internal static class RandomHistory
{
    public static List<HistoryEvent> Generate(int seed, int processes, int keys, int operationsPerProcess)
    {
        var random = new Random(seed);
        var planned = new List<(int Process, HistoryOperation Op, long Call, long Effect, long Return, bool Info, bool Happens)>();
        for (var process = 0; process < processes; process++)
        {
            var now = (long)random.Next(0, 100);
            for (var i = 0; i < operationsPerProcess; i++)
            {
                var call = now + random.Next(0, 50);
                var effect = call + random.Next(1, 100);
                var ret = effect + random.Next(1, 100);
                now = ret;
                var key = $"k{random.Next(keys)}";
                var value = $"v{process}-{i}";
                var op = random.Next(10) switch
                {
                    < 4 => HistoryOperation.Put(key, value),
                    < 8 => HistoryOperation.Get(key),
                    _ => HistoryOperation.Cas(key, null, value), // the expectation is chosen when it takes effect
                };
                var info = op.Function != HistoryFunction.Get && random.Next(30) == 0;
                planned.Add((process, op, call, effect, ret, info, !info || random.Next(2) == 0));
            }
        }

        var state = new Dictionary<string, string?>();
        var events = new List<(long Time, int Order, HistoryEvent Event)>();
        var order = 0;
        foreach (var p in planned.OrderBy(p => p.Effect))
        {
            var current = state.GetValueOrDefault(p.Op.Key);
            var op = p.Op.Function != HistoryFunction.Cas ? p.Op : p.Op with
            {
                // Half the cas operations expect the value actually there, so that many of them swap.
                Expected = random.Next(2) == 0 ? current
                    : random.Next(3) == 0 ? null
                    : $"v{random.Next(processes)}-{random.Next(operationsPerProcess)}",
            };
            var type = HistoryEventType.Ok;
            var completionValue = op.Value;
            var refused = false;
            switch (op.Function)
            {
                case HistoryFunction.Put when p.Happens:
                    state[op.Key] = op.Value;
                    break;
                case HistoryFunction.Get:
                    completionValue = current;
                    break;
                case HistoryFunction.Cas when current == op.Expected:
                    if (p.Happens)
                    {
                        state[op.Key] = op.Value;
                    }
                    break;
                case HistoryFunction.Cas:
                    refused = true;
                    break;
            }
            if (p.Info)
            {
                type = HistoryEventType.Info;
                refused = false;
            }
            var invoke = new HistoryEvent(p.Process, HistoryEventType.Invoke, op.Function, op.Key, op.Value, op.Expected, p.Call);
            events.Add((p.Call, order++, invoke));
            events.Add((p.Return, order++, invoke with
            {
                Type = type, Value = completionValue, TimeNs = p.Return, Refused = refused, Seen = refused ? current : null,
            }));
        }
        return events.OrderBy(e => e.Time).ThenBy(e => e.Event.Type == HistoryEventType.Invoke ? 1 : 0)
            .ThenBy(e => e.Order).Select(e => e.Event).ToList();
    }
}
