namespace RaftOrleans.Raft;

/// <summary>What a log entry carries: an application command, the no-op a new leader appends
/// (§5.4.2, Figure 8), or a membership change (§4).</summary>
public enum EntryKind : byte
{
    Command = 0,
    NoOp = 1,
    ConfigChange = 2,
}

/// <summary>One entry of the replicated log. Immutable: once appended, an entry at (Index, Term)
/// never changes (Log Matching property, §5.3).</summary>
public sealed record LogEntry(long Index, long Term, EntryKind Kind, byte[] Data)
{
    /// <summary>Bytes counted against the byte limits (payload plus a fixed header).</summary>
    public int SizeBytes => Data.Length + 24;

    public override string ToString() => $"{Index}@{Term}:{Kind}({Data.Length}B)";
}
