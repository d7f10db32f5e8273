namespace RaftOrleans.KeyValue;

/// <summary>
/// Limits of the key-value state machine. Every replica must run with the same options: they decide
/// what <see cref="KvStateMachine.Apply"/> answers, so replicas with different options would diverge.
/// </summary>
public sealed record KvOptions
{
    public static KvOptions Default { get; } = new();

    /// <summary>Longest key, in UTF-8 bytes.</summary>
    public int MaxKeyBytes { get; init; } = 1024;

    /// <summary>Longest value, in UTF-8 bytes.</summary>
    public int MaxValueBytes { get; init; } = 1024 * 1024;

    /// <summary>Most entries one prefix listing may ask for.</summary>
    public int MaxListLimit { get; init; } = 1000;

    /// <summary>Longest client id, in characters.</summary>
    public int MaxClientIdChars { get; init; } = 128;

    /// <summary>A session idle for longer than this, on the state machine's clock (the largest leader
    /// timestamp applied so far), expires. Generous on purpose: a session that expires under a client
    /// still retrying turns its retries into <see cref="KvStatus.SessionExpired"/> answers.</summary>
    public long SessionIdleTimeoutMs { get; init; } = 10 * 60 * 1000;

    /// <summary>Most one entry may move the state machine's clock forward: a quarter of
    /// <see cref="SessionIdleTimeoutMs"/> (at least 1 ms). So one entry from a leader whose clock runs far
    /// ahead cannot expire every session: a session active within the last three quarters of the timeout
    /// survives any single entry. The price is on the safe side: after an idle gap longer than this the
    /// clock lags the leaders' clocks and catches up by this much per entry, so sessions expire late, never
    /// early. (The first timestamp, on a clock still at 0, sets it outright.)</summary>
    public long ClockStepLimitMs => Math.Max(1, SessionIdleTimeoutMs / 4);

    /// <summary>Most live sessions; opening one more evicts the least recently active (dissertation §6.3).</summary>
    public int MaxSessions { get; init; } = 10_000;

    /// <summary>Most answers one session keeps for sequences the client has not yet acknowledged.</summary>
    public int MaxOutstandingPerSession { get; init; } = 1000;

    /// <summary>Throws when a limit is not positive; call once where the options are built.</summary>
    public KvOptions Validated()
    {
        RequirePositive(MaxKeyBytes, nameof(MaxKeyBytes));
        RequirePositive(MaxValueBytes, nameof(MaxValueBytes));
        RequirePositive(MaxListLimit, nameof(MaxListLimit));
        RequirePositive(MaxClientIdChars, nameof(MaxClientIdChars));
        RequirePositive(SessionIdleTimeoutMs, nameof(SessionIdleTimeoutMs));
        RequirePositive(MaxSessions, nameof(MaxSessions));
        RequirePositive(MaxOutstandingPerSession, nameof(MaxOutstandingPerSession));
        return this;
    }

    private static void RequirePositive(long value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
    }
}
