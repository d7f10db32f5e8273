using RaftOrleans.Raft;

namespace RaftOrleans.Simulation;

/// <summary>The part of a node's log the checker reads.</summary>
public interface ILogView
{
    long LastIndex { get; }

    /// <summary>The entry at <paramref name="index"/>, or null when the node does not hold it.</summary>
    LogEntry? EntryAt(long index);
}

/// <summary>A node as the checker sees it after a step. <see cref="Incarnation"/> counts restarts:
/// volatile state (the applied index) starts again with each incarnation.</summary>
public sealed record NodeView(string Id, int Incarnation, Role Role, long Term, long CommitIndex, ILogView Log);

/// <summary>A log given as a plain list, for hand-made histories.</summary>
public sealed class ListLogView(IReadOnlyList<LogEntry> entries) : ILogView
{
    public long LastIndex => entries.Count == 0 ? 0 : entries[^1].Index;

    public LogEntry? EntryAt(long index) => index >= 1 && index <= entries.Count ? entries[(int)index - 1] : null;
}
