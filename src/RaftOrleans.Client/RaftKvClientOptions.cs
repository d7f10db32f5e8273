namespace RaftOrleans.Client;

/// <summary>Time limits and retry pacing of <see cref="RaftKvClient"/>. Every wait is bounded: nothing rides
/// on Orleans' 30 s default response timeout.</summary>
public sealed record RaftKvClientOptions
{
    /// <summary>Limit on one operation, retries included; then it fails with <see cref="KvUnavailableException"/>.</summary>
    public TimeSpan OverallDeadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Limit on one attempt of a write at one node. A little above the node's own propose timeout
    /// (3 s), so a slow commit answers Unknown rather than being cut off; a frozen node costs this much.</summary>
    public TimeSpan WriteAttemptTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Limit on one attempt of a read or a status call at one node.</summary>
    public TimeSpan ReadAttemptTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>First pause after a round of refusals (no leader, busy); doubles up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromMilliseconds(50);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMilliseconds(800);

    /// <summary>Give up at once, with <see cref="KvNoNodeRunningException"/>, when every node of the channel
    /// refused its connection during one operation (nothing listens at any gateway): a one-shot console
    /// command should say "no node is running" rather than wait out its deadline. Off for long-running
    /// clients, which should ride out a restart of the whole cluster.</summary>
    public bool GiveUpWhenNoNodeIsRunning { get; init; }

    /// <summary>Seed of the jitter on pauses (so that many clients do not retry in lock step).</summary>
    public int? Seed { get; init; }

    public RaftKvClientOptions Validated()
    {
        foreach (var (name, value) in new[]
                 {
                     (nameof(OverallDeadline), OverallDeadline), (nameof(WriteAttemptTimeout), WriteAttemptTimeout),
                     (nameof(ReadAttemptTimeout), ReadAttemptTimeout), (nameof(InitialBackoff), InitialBackoff),
                     (nameof(MaxBackoff), MaxBackoff),
                 })
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
            }
        }
        return this;
    }
}
