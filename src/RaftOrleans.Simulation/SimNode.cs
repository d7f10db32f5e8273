using RaftOrleans.Raft;

namespace RaftOrleans.Simulation;

/// <summary>
/// One simulated server: a Raft core, the storage it persists to (which survives crashes), and the
/// entries it has applied in its current incarnation (its state machine, lost on a crash and rebuilt
/// from the log on restart).
/// </summary>
public sealed class SimNode : ILogView
{
    private readonly List<LogEntry> _durableLog = new();
    private readonly List<LogEntry> _applied = new();

    internal SimNode(string id) => Id = id;

    public string Id { get; }

    /// <summary>The running core, or null while the node is crashed.</summary>
    public RaftNode? Raft { get; private set; }

    public bool IsUp => Raft is not null;

    /// <summary>Starts at 1 and grows with each restart.</summary>
    public int Incarnation { get; private set; }

    public HardState DurableHardState { get; private set; } = HardState.Empty;

    public IReadOnlyList<LogEntry> DurableLog => _durableLog;

    public IReadOnlyList<LogEntry> Applied => _applied;

    /// <summary>Storage writes this node has made (one per Ready that had something to persist).</summary>
    public long StorageWrites { get; private set; }

    public long LastIndex => Raft?.LastLogIndex ?? (_durableLog.Count == 0 ? 0 : _durableLog[^1].Index);

    public LogEntry? EntryAt(long index)
    {
        if (Raft is { } raft)
            return index >= 1 && index <= raft.LastLogIndex ? raft.EntryAt(index) : null;
        return index >= 1 && index <= _durableLog.Count ? _durableLog[(int)index - 1] : null;
    }

    internal void Start(RaftOptions options, Random random)
    {
        Incarnation++;
        _applied.Clear();
        Raft = new RaftNode(options, random, new PersistentState(DurableHardState, _durableLog.ToList()));
    }

    internal void Crash() => Raft = null;

    /// <summary>Makes a Ready's hard state and entries durable, as one write. Returns the term held
    /// just before the first new entry, for the Log Matching check.</summary>
    internal long Persist(Ready ready)
    {
        long prevTerm = 0;
        if (ready.Entries.Count > 0)
        {
            var first = ready.Entries[0].Index;
            if (first > _durableLog.Count + 1)
                throw new InvalidOperationException($"{Id}: entries from {first} leave a gap after {_durableLog.Count}");
            _durableLog.RemoveRange((int)first - 1, _durableLog.Count - (int)first + 1);
            prevTerm = first == 1 ? 0 : _durableLog[(int)first - 2].Term;
            _durableLog.AddRange(ready.Entries);
        }
        if (ready.HardState is { } hard) DurableHardState = hard;
        if (ready.MustPersist) StorageWrites++;
        return prevTerm;
    }

    internal void Apply(LogEntry entry) => _applied.Add(entry);

    public NodeView View() => new(Id, Incarnation, Raft!.Role, Raft.Term, Raft.CommitIndex, this);
}
