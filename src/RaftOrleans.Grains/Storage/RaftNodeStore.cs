using System.Security.Cryptography;
using Orleans.Storage;
using RaftOrleans.Raft;

namespace RaftOrleans.Grains.Storage;

/// <summary>
/// A node's durable state on Orleans grain storage: one node-state row (hard state plus the open tail
/// of the log, fenced by its ETag) and a hash chain of sealed, write-once segment rows (see
/// <see cref="StoredNodeState"/> and <see cref="StoredLogSegment"/>).
/// <para>A persist is one write of the node-state row, preceded by one insert per segment that the
/// tail filled up (with single-entry appends: one extra write every <c>segmentEntries</c> appends; a
/// Ready carrying k*segmentEntries entries seals k segments). Segments are written first and are
/// unreferenced until the node-state row points at them, so a crash in between leaves only garbage
/// rows, never a damaged log.</para>
/// <para>Not thread safe: the node grain calls it from its single processing loop.</para>
/// </summary>
internal sealed class RaftNodeStore
{
    public const string NodeStateName = "raft-node";
    private const string SegmentPrefix = "raft-log-";

    private readonly IGrainStorage _storage;
    private readonly GrainId _grainId;
    private readonly int _segmentEntries;

    private StateHolder<StoredNodeState> _durable = new(new StoredNodeState());
    private List<SealedSegment> _sealed = new();

    public RaftNodeStore(IGrainStorage storage, GrainId grainId, int segmentEntries)
    {
        if (segmentEntries < 2) throw new ArgumentOutOfRangeException(nameof(segmentEntries), "a segment holds at least 2 entries");
        _storage = storage;
        _grainId = grainId;
        _segmentEntries = segmentEntries;
    }

    /// <summary>Storage writes made by the last successful <see cref="PersistAsync"/>.</summary>
    public int LastPersistWrites { get; private set; }

    /// <summary>Entries in the open tail after the last load or persist.</summary>
    public int TailEntries => _durable.State.Tail.Count;

    public int SealedSegments => _sealed.Count;

    /// <summary>Reads the node state and walks the segment chain back to the start of the log.</summary>
    public async Task<PersistentState> LoadAsync()
    {
        var node = new StateHolder<StoredNodeState>(new StoredNodeState());
        await _storage.ReadStateAsync(NodeStateName, _grainId, node);
        node.State ??= new StoredNodeState();

        var chain = new List<(string Name, StoredLogSegment Segment)>();
        for (var name = node.State.LastSealedSegment; name is not null;)
        {
            var segment = new StateHolder<StoredLogSegment>(new StoredLogSegment());
            await _storage.ReadStateAsync(name, _grainId, segment);
            if (!segment.RecordExists || segment.State is null)
                throw new RaftStorageCorruptException($"node {_grainId}: log segment {name} is referenced but missing");
            chain.Add((name, segment.State));
            name = segment.State.PreviousSegment;
        }
        chain.Reverse();

        var entries = new List<LogEntry>();
        var sealedSegments = new List<SealedSegment>(chain.Count);
        foreach (var (name, segment) in chain)
        {
            if (segment.FirstIndex != entries.Count + 1 || segment.Entries.Count == 0)
                throw new RaftStorageCorruptException(
                    $"node {_grainId}: segment {name} starts at {segment.FirstIndex} with {segment.Entries.Count} entries; expected a non-empty segment at {entries.Count + 1}");
            sealedSegments.Add(new SealedSegment(name, segment.FirstIndex));
            AppendChecked(entries, segment.Entries, name);
        }
        if (node.State.TailFirstIndex != entries.Count + 1)
            throw new RaftStorageCorruptException(
                $"node {_grainId}: the tail starts at {node.State.TailFirstIndex} but the sealed segments end at {entries.Count}");
        AppendChecked(entries, node.State.Tail, NodeStateName);

        _durable = node;
        _sealed = sealedSegments;
        var hard = new HardState(node.State.Term, node.State.VotedFor, node.State.Commit);
        return new PersistentState(hard, entries);
    }

    /// <summary>
    /// Makes <paramref name="hardState"/> (null: unchanged) and <paramref name="entries"/> durable.
    /// <paramref name="entries"/> replace every stored entry from <c>entries[0].Index</c> on (a
    /// follower truncating a conflicting suffix, §5.3); <paramref name="heldEntry"/> supplies entries
    /// below that index which must be rewritten when the truncation reaches into a sealed segment.
    /// Throws <see cref="InconsistentStateException"/> when a newer writer owns the row (fenced), and
    /// whatever the database throws on failure; in both cases nothing is considered durable and the
    /// store's view stays as it was, so the same call can be retried.
    /// </summary>
    public async Task PersistAsync(HardState? hardState, IReadOnlyList<LogEntry> entries, Func<long, LogEntry> heldEntry)
    {
        var durable = _durable.State;
        var tailFirst = durable.TailFirstIndex;
        var keptSegments = _sealed.Count;
        List<StoredEntry> tail;
        if (entries.Count == 0)
        {
            tail = durable.Tail;
        }
        else
        {
            var first = entries[0].Index;
            var durableLast = tailFirst + durable.Tail.Count - 1;
            if (first < 1 || first > durableLast + 1)
                throw new InvalidOperationException($"entries start at {first} but the stored log ends at {durableLast}");
            if (first >= tailFirst)
            {
                tail = durable.Tail.GetRange(0, (int)(first - tailFirst));
            }
            else
            {
                // The truncation reaches into sealed segments: drop every segment holding an index at or
                // after `first` and rebuild the tail from the start of the earliest dropped one.
                while (tailFirst > first)
                {
                    keptSegments--;
                    tailFirst = _sealed[keptSegments].FirstIndex;
                }
                tail = new List<StoredEntry>();
                for (var index = tailFirst; index < first; index++) tail.Add(ToStored(heldEntry(index)));
            }
            tail.AddRange(entries.Select(ToStored));
        }

        var writes = 0;
        var sealedSegments = _sealed.GetRange(0, keptSegments);
        var lastSealed = keptSegments > 0 ? sealedSegments[^1].Name : null;
        while (tail.Count >= _segmentEntries)
        {
            var segment = new StoredLogSegment
            {
                FirstIndex = tailFirst,
                PreviousSegment = lastSealed,
                Entries = tail.GetRange(0, _segmentEntries),
            };
            var name = SegmentName(segment);
            await InsertSegmentAsync(name, segment);
            writes++;
            sealedSegments.Add(new SealedSegment(name, tailFirst));
            lastSealed = name;
            tail = tail.GetRange(_segmentEntries, tail.Count - _segmentEntries);
            tailFirst += _segmentEntries;
        }

        var hard = hardState ?? new HardState(durable.Term, durable.VotedFor, durable.Commit);
        var next = new StateHolder<StoredNodeState>(new StoredNodeState
        {
            Term = hard.Term,
            VotedFor = hard.VotedFor,
            Commit = hard.Commit,
            TailFirstIndex = tailFirst,
            LastSealedSegment = lastSealed,
            Tail = tail,
        }, _durable.ETag);
        await _storage.WriteStateAsync(NodeStateName, _grainId, next);
        writes++;

        _durable = next;
        _sealed = sealedSegments;
        LastPersistWrites = writes;
    }

    private async Task InsertSegmentAsync(string name, StoredLogSegment segment)
    {
        try
        {
            // No ETag: insert only. The name is derived from the content, so an existing row with this
            // name can only be this very segment, left by an earlier attempt that failed later on.
            await _storage.WriteStateAsync(name, _grainId, new StateHolder<StoredLogSegment>(segment));
        }
        catch (InconsistentStateException)
        {
            var existing = new StateHolder<StoredLogSegment>(new StoredLogSegment());
            await _storage.ReadStateAsync(name, _grainId, existing);
            if (!existing.RecordExists || !SameContent(existing.State, segment))
                throw new RaftStorageCorruptException($"node {_grainId}: segment row {name} exists with other content");
        }
    }

    private static bool SameContent(StoredLogSegment a, StoredLogSegment b) =>
        a.FirstIndex == b.FirstIndex && a.PreviousSegment == b.PreviousSegment && a.Entries.Count == b.Entries.Count &&
        a.Entries.Zip(b.Entries).All(p => p.First.Index == p.Second.Index && p.First.Term == p.Second.Term &&
                                          p.First.Kind == p.Second.Kind && p.First.Data.AsSpan().SequenceEqual(p.Second.Data));

    /// <summary>Name = first index + a hash of the predecessor's name and of every entry: two segments
    /// share a name only if they hold the same entries after the same chain.</summary>
    private static string SegmentName(StoredLogSegment segment)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(System.Text.Encoding.UTF8.GetBytes(segment.PreviousSegment ?? ""));
        Span<byte> header = stackalloc byte[21];
        foreach (var entry in segment.Entries)
        {
            BitConverter.TryWriteBytes(header[..8], entry.Index);
            BitConverter.TryWriteBytes(header[8..16], entry.Term);
            header[16] = entry.Kind;
            BitConverter.TryWriteBytes(header[17..21], entry.Data.Length);
            hash.AppendData(header);
            hash.AppendData(entry.Data);
        }
        var digest = Convert.ToHexString(hash.GetHashAndReset(), 0, 8).ToLowerInvariant();
        return $"{SegmentPrefix}{segment.FirstIndex}-{digest}";
    }

    private void AppendChecked(List<LogEntry> log, List<StoredEntry> stored, string row)
    {
        foreach (var entry in stored)
        {
            if (entry.Index != log.Count + 1)
                throw new RaftStorageCorruptException($"node {_grainId}: row {row} holds entry {entry.Index} where {log.Count + 1} belongs");
            if (!Enum.IsDefined(typeof(EntryKind), entry.Kind))
                throw new RaftStorageCorruptException($"node {_grainId}: entry {entry.Index} has unknown kind {entry.Kind}");
            log.Add(new LogEntry(entry.Index, entry.Term, (EntryKind)entry.Kind, entry.Data));
        }
    }

    private static StoredEntry ToStored(LogEntry entry) => new(entry.Index, entry.Term, (byte)entry.Kind, entry.Data);

    private readonly record struct SealedSegment(string Name, long FirstIndex);
}
