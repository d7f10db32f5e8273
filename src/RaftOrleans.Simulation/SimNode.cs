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
        AsyncWrites = options.AsyncStorageWrites;
        Raft = new RaftNode(options with { AppliedIndex = StateMachine.AppliedIndex }, random,
            new PersistentState(DurableHardState, _durableLog.ToList(), DurableSnapshot));
    }

    /// <summary>Writes started under the asynchronous contract and not yet durable, oldest first, with the
    /// time each completes. A crash loses them.</summary>
    internal Queue<(Ready Ready, long DurableAt)> PendingWrites { get; } = new();

    /// <summary>The running core follows the asynchronous contract (RaftOptions.AsyncStorageWrites).</summary>
    public bool AsyncWrites { get; private set; }

    internal void Crash()
    {
        Raft = null;
        PendingWrites.Clear();
    }

    /// <summary>Makes a Ready's snapshot, hard state and entries durable, as one write. Returns the entries
    /// written and the term held just before the first of them, for the Log Matching check.</summary>
    internal (long PrevTerm, IReadOnlyList<LogEntry> Written) Persist(Ready ready)
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
        // A snapshot installed from the leader while this write was in flight may cover its first entries:
        // those need no writing, and a stored log that does not reach the snapshot restarts right after it.
        var covered = Math.Max(_durableOffset, DurableSnapshot?.Index ?? 0);
        var entries = ready.Entries.Where(e => e.Index > covered).ToList();
        if (entries.Count > 0 && DurableSnapshot is { } durableSnapshot && entries[0].Index == durableSnapshot.Index + 1)
        {
            TruncatePrefix(durableSnapshot.Index);
            if (_durableLog.Count == 0) _durableOffset = durableSnapshot.Index;
        }
        if (entries.Count > 0)
        {
            var first = entries[0].Index;
            var position = (int)(first - _durableOffset - 1);
            if (position < 0 || position > _durableLog.Count)
                throw new InvalidOperationException($"{Id}: entries from {first} do not follow the stored log ({_durableOffset + 1}..{_durableOffset + _durableLog.Count})");
            _durableLog.RemoveRange(position, _durableLog.Count - position);
            prevTerm = position > 0 ? _durableLog[position - 1].Term
                : first - 1 == DurableSnapshot?.Index ? DurableSnapshot.Term
                : Raft!.TermAt(first - 1) ?? 0;
            _durableLog.AddRange(entries);
        }
        if (ready.HardState is { } hard) DurableHardState = hard;
        if (ready.MustPersist) StorageWrites++;
        return (prevTerm, entries);
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
