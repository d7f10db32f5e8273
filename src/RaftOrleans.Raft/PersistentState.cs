namespace RaftOrleans.Raft;

/// <summary>What a node finds in its storage when it restarts: the last hard state, the latest snapshot
/// (if any) and the log entries it had made durable. Entries the snapshot covers are ignored.</summary>
public sealed record PersistentState(HardState HardState, IReadOnlyList<LogEntry> Entries, Snapshot? Snapshot = null)
{
    public static PersistentState Empty { get; } = new(HardState.Empty, Array.Empty<LogEntry>());
}
