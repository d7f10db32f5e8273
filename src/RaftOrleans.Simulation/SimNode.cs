using RaftOrleans.Raft;

namespace RaftOrleans.Simulation;

/// <summary>
/// One simulated server: a Raft core, the storage it persists to (which survives crashes: hard state,
/// latest snapshot, log), and its state machine (lost on a crash, rebuilt from snapshot and log).
/// </summary>
public sealed class SimNode : ILogView
{
    /// <summary>Durable entries after <see cref="_durableOffset"/>; earlier ones were compacted.</summary>
    private readonly List<LogEntry> _durableLog = new();
    private long _durableOffset;
    private readonly List<LogEntry> _applied = new();

    internal SimNode(string id) => Id = id;

    public string Id { get; }

    /// <summary>The running core, or null while the node is crashed.</summary>
    public RaftNode? Raft { get; private set; }

    public bool IsUp => Raft is not null;

    /// <summary>Starts at 1 and grows with each restart.</summary>
    public int Incarnation { get; private set; }

    public HardState DurableHardState { get; private set; } = HardState.Empty;

    public Snapshot? DurableSnapshot { get; private set; }

    /// <summary>The entries on this node's disk (after its snapshot, if it compacted).</summary>
    public IReadOnlyList<LogEntry> DurableLog => _durableLog;

    /// <summary>Entries applied in the current incarnation (not those restored from a snapshot).</summary>
    public IReadOnlyList<LogEntry> Applied => _applied;

    public SimStateMachine StateMachine { get; private set; } = new();

    /// <summary>Storage writes this node has made (one per Ready that had something to persist).</summary>
    public long StorageWrites { get; private set; }

    public long LastIndex => Raft?.LastLogIndex ?? _durableOffset + _durableLog.Count;

    public long FirstIndex => Raft?.FirstLogIndex ?? _durableOffset + 1;

    public LogEntry? EntryAt(long index)
    {
        if (Raft is { } raft)
            return index >= raft.FirstLogIndex && index <= raft.LastLogIndex ? raft.EntryAt(index) : null;
        return index > _durableOffset && index <= _durableOffset + _durableLog.Count ? _durableLog[(int)(index - _durableOffset - 1)] : null;
    }

    internal void Start(RaftOptions options, Random random)
    {
        Incarnation++;
        _applied.Clear();
        StateMachine = DurableSnapshot is { } snapshot ? SimStateMachine.Restore(snapshot.Data) : new SimStateMachine();
        Raft = new RaftNode(options with { AppliedIndex = StateMachine.AppliedIndex }, random,
            new PersistentState(DurableHardState, _durableLog.ToList(), DurableSnapshot));
    }

    internal void Crash() => Raft = null;

    /// <summary>Makes a Ready's snapshot, hard state and entries durable, as one write. Returns the term
    /// held just before the first new entry, for the Log Matching check.</summary>
    internal long Persist(Ready ready)
    {
        if (ready.Snapshot is { } snapshot)
        {
            DurableSnapshot = snapshot;
            if (ready.LogDiscarded || snapshot.Index >= _durableOffset + _durableLog.Count)
            {
                _durableLog.Clear();
                _durableOffset = snapshot.Index;
            }
            else
            {
                TruncatePrefix(snapshot.Index);
            }
        }
        long prevTerm = 0;
        if (ready.Entries.Count > 0)
        {
            var first = ready.Entries[0].Index;
            var position = (int)(first - _durableOffset - 1);
            if (position < 0 || position > _durableLog.Count)
                throw new InvalidOperationException($"{Id}: entries from {first} do not follow the stored log ({_durableOffset + 1}..{_durableOffset + _durableLog.Count})");
            _durableLog.RemoveRange(position, _durableLog.Count - position);
            prevTerm = position > 0 ? _durableLog[position - 1].Term
                : first - 1 == DurableSnapshot?.Index ? DurableSnapshot.Term
                : Raft!.TermAt(first - 1) ?? 0;
            _durableLog.AddRange(ready.Entries);
        }
        if (ready.HardState is { } hard) DurableHardState = hard;
        if (ready.MustPersist) StorageWrites++;
        return prevTerm;
    }

    /// <summary>Takes a snapshot of the state machine, makes it durable, and drops the stored entries the
    /// core no longer holds.</summary>
    internal Snapshot TakeSnapshot()
    {
        var snapshot = Raft!.CreateSnapshot(StateMachine.Snapshot());
        DurableSnapshot = snapshot;
        TruncatePrefix(Raft.FirstLogIndex - 1);
        return snapshot;
    }

    internal void RestoreSnapshot(Snapshot snapshot)
    {
        StateMachine = SimStateMachine.Restore(snapshot.Data);
        _applied.Clear();
    }

    internal void Apply(LogEntry entry)
    {
        if (entry.Kind == EntryKind.Command) StateMachine.Apply(entry.Index, entry.Data);
        else StateMachine.Skip(entry.Index);
        _applied.Add(entry);
    }

    private void TruncatePrefix(long through)
    {
        var count = (int)Math.Min(_durableLog.Count, Math.Max(0, through - _durableOffset));
        _durableLog.RemoveRange(0, count);
        _durableOffset += count;
    }

    public NodeView View() => new(Id, Incarnation, Raft!.Role, Raft.Term, Raft.CommitIndex, this, DurableHardState.Commit);
}
