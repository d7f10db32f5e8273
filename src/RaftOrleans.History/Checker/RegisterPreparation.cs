namespace RaftOrleans.History.Checker;

/// <summary>
/// Turns one key's operations into the search's input: values interned to integers (0 is absent),
/// call order, fail operations and info gets left out, and operations of unknown outcome made cheap.
/// <para>An unknown-outcome write stays pending forever, so each one doubles the configurations the
/// search may have to visit. Two rewrites, both exact (the history is linearizable after them if and
/// only if it was before), remove most of that cost when written values are unique, as Jepsen advises:</para>
/// <list type="bullet">
/// <item><b>Never observed:</b> if no ok get reads the value, no refused cas found it and no cas expects
/// it, the write can be dropped: had it taken effect, only writes could follow it before its value was
/// overwritten (a get or a refused cas observes one exact value), and an unknown cas that it turned into
/// a no-op can equally go last.</item>
/// <item><b>Observed, sole writer:</b> if it is the only operation writing that value and an ok get, an
/// ok cas or a refused cas observed the value, it took effect before the first such observer returned:
/// that return time becomes its own.</item>
/// </list>
/// </summary>
internal static class RegisterPreparation
{
    private readonly record struct Candidate(RegisterStep Step, string? Value, string? Expected, long CallNs,
        long ReturnNs, CheckedOperation Source)
    {
        public bool IsUnknownWrite => ReturnNs == long.MaxValue && Step != RegisterStep.Get;
    }

    /// <summary>The search input for <paramref name="operations"/> (all of one key), with
    /// <paramref name="source"/> mapping each back. Operations still running at <paramref name="cutNs"/>
    /// count as unknown-outcome and later ones are left out: that makes a prefix of the history.</summary>
    public static RegisterOperation[] Prepare(IReadOnlyList<CheckedOperation> operations, long cutNs,
        out CheckedOperation[] source)
    {
        var candidates = Simplify(Candidates(operations, cutNs));
        var values = new Dictionary<string, int>(StringComparer.Ordinal);
        int Intern(string? value) =>
            value is null ? RegisterModel.Absent : values.TryGetValue(value, out var id) ? id : values[value] = values.Count + 1;
        source = candidates.Select(c => c.Source).ToArray();
        return candidates
            .Select(c => new RegisterOperation(c.Step, Intern(c.Value), Intern(c.Expected), c.CallNs, c.ReturnNs))
            .ToArray();
    }

    private static List<Candidate> Candidates(IReadOnlyList<CheckedOperation> operations, long cutNs)
    {
        var candidates = new List<Candidate>();
        foreach (var op in operations.OrderBy(o => o.CallNs))
        {
            if (op.Outcome == OperationOutcome.Fail || op.CallNs > cutNs)
            {
                continue;
            }
            var known = op.Outcome == OperationOutcome.Ok && op.EffectiveReturnNs <= cutNs;
            RegisterStep? step = op.Function switch
            {
                HistoryFunction.Put => RegisterStep.Put,
                HistoryFunction.Get => known ? RegisterStep.Get : null,
                // Refused, a read; still running at the cut (or info), it may swap or be refused: unknown.
                _ when known && op.Refused => RegisterStep.CasRefused,
                _ => known ? RegisterStep.Cas : RegisterStep.CasUnknown,
            };
            if (step is { } s)
            {
                var value = s == RegisterStep.CasRefused ? op.Seen : op.Value;
                candidates.Add(new Candidate(s, value, op.Expected, op.CallNs, known ? op.EffectiveReturnNs : long.MaxValue, op));
            }
        }
        return candidates;
    }

    private static List<Candidate> Simplify(List<Candidate> candidates)
    {
        var writers = new Dictionary<string, int>(StringComparer.Ordinal);
        var firstObservedNs = new Dictionary<string, long>(StringComparer.Ordinal);
        var expectedByUnknownCas = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in candidates)
        {
            if (c.Step is not (RegisterStep.Get or RegisterStep.CasRefused) && c.Value is not null)
            {
                writers[c.Value] = writers.GetValueOrDefault(c.Value) + 1;
            }
            var observed = c.Step switch
            {
                RegisterStep.Get or RegisterStep.CasRefused => c.Value,
                RegisterStep.Cas => c.Expected,
                _ => null,
            };
            if (observed is not null)
            {
                firstObservedNs[observed] = Math.Min(firstObservedNs.GetValueOrDefault(observed, long.MaxValue), c.ReturnNs);
            }
            if (c.Step == RegisterStep.CasUnknown && c.Expected is not null)
            {
                expectedByUnknownCas.Add(c.Expected);
            }
        }

        var simplified = new List<Candidate>(candidates.Count);
        foreach (var c in candidates)
        {
            if (!c.IsUnknownWrite || c.Value is null)
            {
                simplified.Add(c);
            }
            else if (firstObservedNs.TryGetValue(c.Value, out var observedNs))
            {
                // An observer that returned before this write was invoked cannot have seen it: leave the
                // write as it is and let the search report the violation.
                var soleWriter = writers[c.Value] == 1 && observedNs >= c.CallNs;
                simplified.Add(soleWriter ? c with { ReturnNs = observedNs } : c);
            }
            else if (expectedByUnknownCas.Contains(c.Value))
            {
                simplified.Add(c);
            }
        }
        return simplified;
    }
}
