using System.Text;

namespace RaftOrleans.History.Checker;

public enum CheckVerdict
{
    Linearizable,
    NotLinearizable,

    /// <summary>The time limit ran out before every key was decided.</summary>
    Unknown,
}

/// <summary>How many operations a history holds, by outcome, and on how many keys.</summary>
public sealed record HistoryCounts(int Operations, int Ok, int Fail, int Info, int Keys);

/// <summary>
/// The checker's verdict. When not linearizable: <see cref="Key"/> is the failing key,
/// <see cref="Culprit"/> the operation whose completion made the history certainly non-linearizable
/// (the earliest such point), and <see cref="Window"/> the operations around it, in call order: the
/// culprit, what ran concurrently with it, and everything since the last write that completed before
/// the culprit began. When unknown: <see cref="Key"/> is the key being checked when time ran out.
/// </summary>
public sealed record CheckResult(
    CheckVerdict Verdict,
    HistoryCounts Counts,
    string? Key,
    CheckedOperation? Culprit,
    IReadOnlyList<CheckedOperation> Window,
    long OriginNs,
    TimeSpan Elapsed)
{
    /// <summary>A human-readable report, several lines for a violation.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        var counts = $"{Counts.Operations} operations ({Counts.Ok} ok, {Counts.Fail} fail, {Counts.Info} info) on {Counts.Keys} keys";
        switch (Verdict)
        {
            case CheckVerdict.Linearizable:
                text.Append($"linearizable: {counts}, checked in {Elapsed.TotalSeconds:0.000} s");
                break;
            case CheckVerdict.Unknown:
                text.Append($"unknown: time limit reached after {Elapsed.TotalSeconds:0.000} s while checking key \"{Key}\"; {counts}");
                break;
            default:
                text.AppendLine($"not linearizable: key \"{Key}\"; {counts}");
                if (Culprit is not null)
                {
                    text.AppendLine($"no linearization explains: {Culprit.Describe(OriginNs)}");
                }
                text.Append($"window ({Window.Count} operations, times since the first event):");
                foreach (var operation in Window)
                {
                    text.AppendLine();
                    text.Append(operation == Culprit ? "  > " : "    ");
                    text.Append(operation.Describe(OriginNs));
                }
                break;
        }
        return text.ToString();
    }

    public override string ToString() => Describe();
}
