using RaftOrleans.History;
using RaftOrleans.History.Checker;

namespace RaftOrleans.History.Tests;

/// <summary>
/// The checker against the definition: on many small random single-key histories (values repeat, info
/// and fail outcomes mixed in), its verdict must equal that of a brute-force search over every order of
/// the operations that respects real time, with each info operation either placed somewhere or left out.
/// Refused cas operations (ok, found a value other than the one expected) are mixed in as well.
/// Both searches are compared on their own too, since the checker mostly needs only one of them.
/// </summary>
public sealed class BruteForceComparisonTests
{
    private static readonly string?[] Values = [null, "a", "b", "c"];

    [Fact]
    public void Checker_agrees_with_brute_force()
    {
        var random = new Random(2024);
        var verdicts = new int[2];
        for (var round = 0; round < 3_000; round++)
        {
            var history = RandomHistory(random, operationCount: random.Next(1, 9));
            var expected = BruteForce(history);

            var actual = LinearizabilityChecker.Check(history.Events, TimeSpan.FromMinutes(1));
            var prepared = RegisterPreparation.Prepare(HistoryPairing.Pair(history.Events), long.MaxValue, out _);
            var wgl = WglSearch.Run(prepared, long.MaxValue).Verdict;
            var jit = JitSearch.Run(prepared, long.MaxValue, int.MaxValue).Verdict;

            var expectedVerdict = expected ? CheckVerdict.Linearizable : CheckVerdict.NotLinearizable;
            var expectedSearch = expected ? SearchVerdict.Linearizable : SearchVerdict.NotLinearizable;
            var events = string.Join("\n", history.Events.Select(e => e.ToString()));
            Assert.True(expectedVerdict == actual.Verdict,
                $"round {round}: brute force says {expectedVerdict}, checker says {actual.Describe()}\n{events}");
            Assert.True(expectedSearch == wgl, $"round {round}: brute force says {expectedVerdict}, WGL {wgl}\n{events}");
            Assert.True(expectedSearch == jit, $"round {round}: brute force says {expectedVerdict}, JIT {jit}\n{events}");
            verdicts[expected ? 1 : 0]++;
        }
        Assert.True(verdicts.Min() > 500, $"too one-sided to compare: {verdicts[0]} violations, {verdicts[1]} fine");
    }

    private static HistoryBuilder RandomHistory(Random random, int operationCount)
    {
        var history = new HistoryBuilder();
        for (var process = 0; process < operationCount; process++)
        {
            var call = random.Next(0, 100);
            long? ret = call + random.Next(0, 40);
            var outcome = random.Next(10) switch
            {
                < 7 => HistoryEventType.Ok,
                < 9 => HistoryEventType.Info,
                _ => HistoryEventType.Fail,
            };
            if (outcome == HistoryEventType.Info && random.Next(2) == 0)
            {
                ret = null; // still in flight when the history ends
            }
            var value = Values[random.Next(1, Values.Length)]!;
            switch (random.Next(4))
            {
                case 3 when outcome == HistoryEventType.Ok:
                    history.CasRefused(process, "k", Values[random.Next(Values.Length)], value, Values[random.Next(Values.Length)], call, ret!.Value);
                    break;
                case 0:
                    history.Put(process, "k", value, call, ret, outcome);
                    break;
                case 1:
                    history.Get(process, "k", Values[random.Next(Values.Length)], call, ret, outcome);
                    break;
                default:
                    history.Cas(process, "k", Values[random.Next(Values.Length)], value, call, ret, outcome);
                    break;
            }
        }
        return history;
    }

    /// <summary>For a refused cas, <see cref="Value"/> is what it found.</summary>
    private sealed record Op(HistoryFunction Function, string? Value, string? Expected, long Call, long Return, bool Optional, bool Refused);

    private static bool BruteForce(HistoryBuilder history)
    {
        var ops = new List<Op>();
        foreach (var group in history.Events.GroupBy(e => e.Process))
        {
            var invoke = group.First();
            var completion = group.Skip(1).FirstOrDefault();
            var type = completion?.Type ?? HistoryEventType.Info;
            if (type == HistoryEventType.Fail || (type == HistoryEventType.Info && invoke.Function == HistoryFunction.Get))
            {
                continue;
            }
            var optional = type == HistoryEventType.Info;
            var refused = completion?.Refused ?? false;
            var value = invoke.Function == HistoryFunction.Get ? completion!.Value : refused ? completion!.Seen : invoke.Value;
            ops.Add(new Op(invoke.Function, value, invoke.Expected, invoke.TimeNs,
                optional ? long.MaxValue : completion!.TimeNs, optional, refused));
        }
        var failed = new HashSet<(int, string?)>();
        return Search(ops, 0, null, failed);
    }

    private static bool Search(List<Op> ops, int used, string? state, HashSet<(int, string?)> failed)
    {
        if (Enumerable.Range(0, ops.Count).All(i => ops[i].Optional || (used & (1 << i)) != 0))
        {
            return true;
        }
        if (failed.Contains((used, state)))
        {
            return false;
        }
        for (var i = 0; i < ops.Count; i++)
        {
            if ((used & (1 << i)) != 0)
            {
                continue;
            }
            var mustWait = Enumerable.Range(0, ops.Count)
                .Any(j => (used & (1 << j)) == 0 && j != i && ops[j].Return < ops[i].Call);
            if (mustWait)
            {
                continue;
            }
            var op = ops[i];
            string? next;
            switch (op.Function)
            {
                case HistoryFunction.Put:
                    next = op.Value;
                    break;
                case HistoryFunction.Get when op.Value == state:
                    next = state;
                    break;
                case HistoryFunction.Cas when op.Refused:
                    if (state != op.Value || state == op.Expected)
                    {
                        continue;
                    }
                    next = state;
                    break;
                case HistoryFunction.Cas when state == op.Expected:
                    next = op.Value;
                    break;
                case HistoryFunction.Cas when op.Optional:
                    next = state;
                    break;
                default:
                    continue;
            }
            if (Search(ops, used | (1 << i), next, failed))
            {
                return true;
            }
        }
        failed.Add((used, state));
        return false;
    }
}
