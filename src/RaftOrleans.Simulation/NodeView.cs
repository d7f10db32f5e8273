using RaftOrleans.Raft;

namespace RaftOrleans.Simulation;

/// <summary>The part of a node's log the checker reads.</summary>
public interface ILogView
{
    long LastIndex { get; }

    /// <summary>The first index the node still holds; earlier entries are covered by its snapshot.</summary>
    long FirstIndex { get; }

    /// <summary>The entry at <paramref name="index"/>, or null when the node does not hold it.</summary>
    LogEntry? EntryAt(long index);
}

/// <summary>A node as the checker sees it after a step. <see cref="Incarnation"/> counts restarts:
/// volatile state (the applied index) starts again with each incarnation. <see cref="CommitIndex"/> is
/// what the node knows is committed; <see cref="DurableCommitIndex"/> what it has persisted of that, which
/// must never go back (null: the same as <see cref="CommitIndex"/>).</summary>
public sealed record NodeView(string Id, int Incarnation, Role Role, long Term, long CommitIndex, ILogView Log,
    long? DurableCommitIndex = null);

/// <summary>A log given as a plain list starting at index 1, for hand-made histories.</summary>
public sealed class ListLogView(IReadOnlyList<LogEntry> entries) : ILogView
{
    public long LastIndex => entries.Count == 0 ? 0 : entries[^1].Index;

    public long FirstIndex => 1;

    public LogEntry? EntryAt(long index) => index >= 1 && index <= entries.Count ? entries[(int)index - 1] : null;
}
