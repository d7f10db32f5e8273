namespace RaftOrleans.History.Checker;

/// <summary>What an operation does to the register, once values are interned to integers.</summary>
internal enum RegisterStep : byte
{
    /// <summary>Sets the value (ok or info put).</summary>
    Put,

    /// <summary>Must read the current value (ok get).</summary>
    Get,

    /// <summary>Must find Expected, then sets the value (ok cas).</summary>
    Cas,

    /// <summary>Must find Value, which is not Expected, and leaves it (ok cas refused: the store found
    /// Value instead of Expected). A read, for the checker.</summary>
    CasRefused,

    /// <summary>A cas of unknown outcome: swaps if Expected holds, otherwise leaves the value; never
    /// refuses. "Did not happen" is covered too: its end is infinite, so it may go last, where nothing
    /// observes it.</summary>
    CasUnknown,
}

/// <summary>One operation of one key, ready for the search. Value 0 is "absent". For
/// <see cref="RegisterStep.CasRefused"/>, Value is what the cas found, not what it would have written.</summary>
internal readonly record struct RegisterOperation(RegisterStep Step, int Value, int Expected, long CallNs, long ReturnNs);

/// <summary>
/// The sequential specification of one key: a register that starts absent. put sets it, get reads it,
/// cas compares and sets it, or, refused, reads a value other than the one it expected. Fail operations
/// certainly did not happen and are left out; info gets (no result, no effect) are left out too.
/// </summary>
internal static class RegisterModel
{
    public const int Absent = 0;

    public static bool TryStep(in RegisterOperation operation, int state, out int next)
    {
        switch (operation.Step)
        {
            case RegisterStep.Put:
                next = operation.Value;
                return true;
            case RegisterStep.Get:
                next = state;
                return state == operation.Value;
            case RegisterStep.Cas:
                next = operation.Value;
                return state == operation.Expected;
            case RegisterStep.CasRefused:
                next = state;
                return state == operation.Value && state != operation.Expected;
            default:
                next = state == operation.Expected ? operation.Value : state;
                return true;
        }
    }
}
