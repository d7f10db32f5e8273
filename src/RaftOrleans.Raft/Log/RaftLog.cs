namespace RaftOrleans.Raft.Log;

/// <summary>
/// The node's view of its log: the entries it holds in memory, which of them are durable (stable),
/// how far they are committed and applied. Indexes start at 1; index 0 with term 0 is the empty
/// prefix every log shares. Entries before <see cref="FirstIndex"/> were compacted into a snapshot.
/// </summary>
internal sealed class RaftLog
{
    private readonly List<LogEntry> _entries = new();

    /// <summary>Index and term of the last compacted entry (0, 0 when nothing was compacted).</summary>
    private long _snapshotIndex;
    private long _snapshotTerm;

    /// <summary>First index whose entry is not yet known durable.</summary>
    private long _unstableFrom;

    /// <summary>First index not yet handed to the host in a Ready's Entries. Equal to
    /// <see cref="_unstableFrom"/> except while asynchronous writes are in flight.</summary>
    private long _unwrittenFrom;

    public RaftLog(long snapshotIndex, long snapshotTerm, IReadOnlyList<LogEntry> persisted, long committed, long applied)
    {
        _snapshotIndex = snapshotIndex;
        _snapshotTerm = snapshotTerm;
        foreach (var entry in persisted)
        {
            if (entry.Index != LastIndex + 1)
                throw new InvalidOperationException($"persisted log is not contiguous at {entry.Index} (expected {LastIndex + 1})");
            if (entry.Term < LastTerm)
                throw new InvalidOperationException($"persisted log terms go backwards at {entry.Index}");
            _entries.Add(entry);
        }
        if (committed > LastIndex)
            throw new InvalidOperationException($"persisted commit {committed} is beyond the last index {LastIndex}");
        Committed = Math.Max(committed, snapshotIndex);
        Applied = Math.Max(applied, snapshotIndex);
        if (Applied > Committed)
            throw new InvalidOperationException($"applied index {Applied} is beyond the commit index {Committed}");
        _unstableFrom = LastIndex + 1;
        _unwrittenFrom = _unstableFrom;
    }

    public long Committed { get; private set; }

    public long Applied { get; private set; }

    public long FirstIndex => _snapshotIndex + 1;

    public long LastIndex => _snapshotIndex + _entries.Count;

    public long LastTerm => _entries.Count == 0 ? _snapshotTerm : _entries[^1].Term;

    /// <summary>The highest index known durable.</summary>
    public long StableIndex => _unstableFrom - 1;

    /// <summary>The term of the entry at <paramref name="index"/>, or null when the index is past the
    /// end or was compacted away.</summary>
    public long? TermAt(long index)
    {
        if (index == _snapshotIndex) return _snapshotTerm;
        if (index < _snapshotIndex || index > LastIndex) return null;
        return _entries[(int)(index - _snapshotIndex - 1)].Term;
    }

    public bool MatchesTerm(long index, long term) => TermAt(index) == term;

    public LogEntry EntryAt(long index)
    {
        if (index < FirstIndex || index > LastIndex)
            throw new ArgumentOutOfRangeException(nameof(index), $"entry {index} is not in [{FirstIndex}, {LastIndex}]");
        return _entries[(int)(index - _snapshotIndex - 1)];
    }

    /// <summary>§5.4.1 election restriction: a log is at least as up to date as ours if its last term
    /// is higher, or equal with an index at least as high.</summary>
    public bool IsUpToDate(long lastIndex, long lastTerm) =>
        lastTerm > LastTerm || (lastTerm == LastTerm && lastIndex >= LastIndex);

    /// <summary>Leader side: append new entries at the end.</summary>
    public void Append(LogEntry entry)
    {
        if (entry.Index != LastIndex + 1)
            throw new InvalidOperationException($"append at {entry.Index} but the last index is {LastIndex}");
        if (entry.Term < LastTerm)
            throw new InvalidOperationException($"append of term {entry.Term} after term {LastTerm}");
        _entries.Add(entry);
    }

    /// <summary>
    /// Follower side of AppendEntries (Figure 2, receiver rules 2-4): if our log has an entry at
    /// <paramref name="prevIndex"/> with <paramref name="prevTerm"/>, keep every entry that agrees,
    /// delete from the first conflicting one on, and append what is new. Returns the index of the
    /// last entry now known to match the leader, or null when the consistency check fails.
    /// </summary>
    public long? TryAppend(long prevIndex, long prevTerm, IReadOnlyList<LogEntry> entries)
    {
        if (!MatchesTerm(prevIndex, prevTerm)) return null;
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (entry.Index != prevIndex + 1 + i)
                throw new InvalidOperationException($"append entries are not contiguous at {entry.Index}");
            if (entry.Index <= _snapshotIndex) continue; // already covered by our snapshot, hence committed
            var existing = TermAt(entry.Index);
            if (existing == entry.Term) continue;
            if (existing is not null)
            {
                // Rule 3: a conflict. Committed entries never conflict (Leader Completeness, §5.4);
                // if one does, the cluster is already unsafe, so stop rather than spread it.
                if (entry.Index <= Committed)
                    throw new InvalidOperationException(
                        $"conflict at committed index {entry.Index} (ours term {existing}, leader's term {entry.Term})");
                TruncateFrom(entry.Index);
            }
            _entries.Add(entry);
        }
        return prevIndex + entries.Count;
    }

    private void TruncateFrom(long index)
    {
        _entries.RemoveRange((int)(index - _snapshotIndex - 1), (int)(LastIndex - index + 1));
        _unstableFrom = Math.Min(_unstableFrom, index);
        _unwrittenFrom = Math.Min(_unwrittenFrom, index);
    }

    /// <summary>The hint a follower gives a leader whose PrevLogIndex it rejected: the term it holds at
    /// that index (0 when its log is shorter) and the first index it holds of that term, so the leader
    /// can skip a whole conflicting term in one round trip (§5.3).</summary>
    public (long ConflictTerm, long ConflictIndex) ConflictHint(long rejectedIndex)
    {
        if (rejectedIndex > LastIndex) return (0, LastIndex + 1);
        var term = TermAt(rejectedIndex);
        if (term is null) return (0, FirstIndex); // compacted: the leader must go back to our snapshot
        var index = rejectedIndex;
        while (index - 1 > _snapshotIndex && TermAt(index - 1) == term) index--;
        return (term.Value, index);
    }

    /// <summary>The last index in our log whose term is <paramref name="term"/>, or null.</summary>
    public long? LastIndexOfTerm(long term)
    {
        for (var index = LastIndex; index > _snapshotIndex; index--)
        {
            var t = TermAt(index)!.Value;
            if (t == term) return index;
            if (t < term) return null;
        }
        return null;
    }

    /// <summary>Entries in [from, LastIndex], at most <paramref name="maxEntries"/> and, beyond the
    /// first, at most <paramref name="maxBytes"/>.</summary>
    public IReadOnlyList<LogEntry> Slice(long from, int maxEntries, long maxBytes)
    {
        if (from < FirstIndex) throw new ArgumentOutOfRangeException(nameof(from), $"entry {from} was compacted");
        var result = new List<LogEntry>();
        long bytes = 0;
        for (var index = from; index <= LastIndex && result.Count < maxEntries; index++)
        {
            var entry = EntryAt(index);
            bytes += entry.SizeBytes;
            if (result.Count > 0 && bytes > maxBytes) break;
            result.Add(entry);
        }
        return result;
    }

    public void CommitTo(long index)
    {
        if (index <= Committed) return;
        if (index > LastIndex)
            throw new InvalidOperationException($"commit to {index} beyond the last index {LastIndex}");
        Committed = index;
    }

    /// <summary>True while some entry has not been handed to the host for writing.</summary>
    public bool HasUnwrittenEntries => _unwrittenFrom <= LastIndex;

    /// <summary>The entries not yet handed to the host for writing; they count as handed from now on.</summary>
    public IReadOnlyList<LogEntry> TakeUnwrittenEntries()
    {
        var result = new List<LogEntry>((int)Math.Max(0, LastIndex - _unwrittenFrom + 1));
        for (var index = _unwrittenFrom; index <= LastIndex; index++) result.Add(EntryAt(index));
        _unwrittenFrom = LastIndex + 1;
        return result;
    }

    /// <summary>The write that ended with entry <paramref name="index"/> of <paramref name="term"/> is durable.
    /// If that entry was replaced meanwhile (a follower truncating while the write was in flight), the write
    /// that replaced it will say so in its turn.</summary>
    public void StableTo(long index, long term)
    {
        if (TermAt(index) != term) return;
        _unstableFrom = Math.Max(_unstableFrom, Math.Min(index, _unwrittenFrom - 1) + 1);
    }

    /// <summary>The highest index that may be applied: the commit index, or with asynchronous writes
    /// (<paramref name="onlyDurable"/>) no further than this node's own storage holds. Commit means durable
    /// on a majority, not here; a snapshot of state applied past our durable log would survive a crash that
    /// loses the write, and leave the restarted node a snapshot followed by stale entries it never replaced.</summary>
    public long ApplicableIndex(bool onlyDurable) => onlyDurable ? Math.Min(Committed, StableIndex) : Committed;

    public IReadOnlyList<LogEntry> CommittedNotApplied(int maxEntries, bool onlyDurable)
    {
        var upTo = Math.Min(ApplicableIndex(onlyDurable), Applied + maxEntries);
        var result = new List<LogEntry>((int)Math.Max(0, upTo - Applied));
        for (var index = Applied + 1; index <= upTo; index++) result.Add(EntryAt(index));
        return result;
    }

    /// <summary>Discards entries up to <paramref name="index"/>, which the state machine has applied
    /// and a snapshot covers.</summary>
    public void CompactTo(long index)
    {
        if (index <= _snapshotIndex) return;
        if (index > Applied) throw new InvalidOperationException($"compaction to {index} beyond the applied index {Applied}");
        var term = TermAt(index)!.Value;
        _entries.RemoveRange(0, (int)(index - _snapshotIndex));
        _snapshotIndex = index;
        _snapshotTerm = term;
    }

    /// <summary>
    /// Installs a snapshot received from the leader (Figure 13 of the paper, receiver rules 6-8): if we
    /// hold the entry the snapshot ends with, keep the entries after it; otherwise discard the whole log.
    /// Returns true when the log was discarded. The state machine is replaced by the snapshot, so the
    /// applied and commit indexes move up to its index.
    /// </summary>
    public bool RestoreSnapshot(long index, long term)
    {
        if (index <= Committed)
            throw new InvalidOperationException($"snapshot at {index} is not beyond the commit index {Committed}");
        var discard = !MatchesTerm(index, term);
        if (discard)
        {
            _entries.Clear();
            _unstableFrom = index + 1;
            _unwrittenFrom = index + 1;
        }
        else
        {
            _entries.RemoveRange(0, (int)(index - _snapshotIndex));
            _unstableFrom = Math.Max(_unstableFrom, index + 1);
            _unwrittenFrom = Math.Max(_unwrittenFrom, index + 1);
        }
        _snapshotIndex = index;
        _snapshotTerm = term;
        Committed = index;
        Applied = index;
        return discard;
    }

    public void AppliedTo(long index)
    {
        if (index < Applied) throw new InvalidOperationException($"applied index going back from {Applied} to {index}");
        if (index > Committed) throw new InvalidOperationException($"applied {index} beyond committed {Committed}");
        Applied = index;
    }
}
