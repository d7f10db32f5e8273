namespace RaftOrleans.Raft;

/// <summary>What a node finds in its storage when it restarts: the last hard state and the log
/// entries it had made durable.</summary>
public sealed record PersistentState(HardState HardState, IReadOnlyList<LogEntry> Entries)
{
    public static PersistentState Empty { get; } = new(HardState.Empty, Array.Empty<LogEntry>());
}
