using Orleans.Storage;
using RaftOrleans.Raft;

namespace RaftOrleans.Grains.Storage;

/// <summary>
/// A node's durable state on Orleans grain storage: one node-state row (hard state, the open tail of
/// the log and the manifest of the latest snapshot, fenced by its ETag), a chain of sealed,
/// write-once segment rows, and write-once snapshot chunk rows (see <see cref="StoredNodeState"/>,
/// <see cref="StoredLogSegment"/>, <see cref="StoredSnapshotChunk"/>).
/// <para>A persist is one write of the node-state row, preceded by one insert per segment that the
/// tail filled up (with single-entry appends: one extra write every <c>segmentEntries</c> appends; a
/// Ready carrying k*segmentEntries entries seals k segments) and, when it carries a snapshot, by the
/// inserts of its chunks. New rows are written first and are unreferenced until the node-state row
/// points at them, so a crash in between leaves only garbage rows, never a damaged log. Those rows are
/// named after the node row they were written on top of, so a new activation, once it has claimed the row
/// (<see cref="ClaimAsync"/>), finds and deletes them (<see cref="SweepAsync"/>); segments a truncation
/// unlinks are listed in the node row until they are deleted.</para>
/// <para>Compaction: a snapshot makes every entry up to its index unnecessary. The node-state row that
/// records the snapshot drops those entries from the tail, and only afterwards are the segments wholly
/// below the snapshot and the chunks of the previous snapshot deleted (<see cref="TakeObsoleteRows"/>,
/// <see cref="DeleteRowsAsync"/>): a crash before or during the deletion leaves rows that the next
/// <see cref="LoadAsync"/> finds and hands out for deletion again.</para>
/// <para>Not thread safe: the node grain calls it from its single processing loop; only
/// <see cref="DeleteRowsAsync"/> and <see cref="ReadNodeRowVersionAsync"/> may run alongside.</para>
/// </summary>
internal sealed class RaftNodeStore
{
    public const string NodeStateName = "raft-node";
    public const string SegmentPrefix = "raft-log-";
    public const string SnapshotChunkPrefix = "raft-snapshot-";

    /// <summary>A clear of this name followed by row names (comma separated) deletes those rows in one
    /// statement (the ClearStorageKey scripts, Sql/*/ClearStorageKey.sql).</summary>
    public const string DeleteRowsPrefix = "raft-delete-rows:";

    /// <summary>Write-once rows are inserted with version 1 and never updated.</summary>
    private const string WriteOnceRowVersion = "1";

    private readonly IGrainStorage _storage;
    private readonly GrainId _grainId;
    private readonly int _segmentEntries;
    private readonly int _snapshotChunkBytes;

    private StateHolder<StoredNodeState> _durable = new(new StoredNodeState());

    /// <summary>The last node-row write when its outcome is unknown (it failed with anything but the
    /// fence's conflict): it may have committed. A retry of the same call reuses its write id, and a
    /// conflict is then resolved by reading the row back.</summary>
    private NodeRowWrite? _inDoubt;

    /// <summary>The sealed segments still holding an entry after the snapshot, oldest first.</summary>
    private List<SealedSegment> _sealed = new();

    /// <summary>Rows nothing references any more, oldest segment first, waiting to be deleted.</summary>
    private readonly List<string> _obsolete = new();

    /// <summary>Rows <see cref="DeleteRowsAsync"/> has deleted (it runs off the loop: lock it), so that the
    /// next node-row write stops listing them as unlinked.</summary>
    private readonly HashSet<string> _deletedRows = new(StringComparer.Ordinal);

    /// <summary>Write ids whose rows <see cref="SweepAsync"/> has swept: the next node-row write drops them.</summary>
    private readonly HashSet<long> _swept = new();

    /// <summary>True during <see cref="ClaimAsync"/>'s write.</summary>
    private bool _claiming;

    public RaftNodeStore(IGrainStorage storage, GrainId grainId, int segmentEntries, int snapshotChunkBytes = RaftOptions.DefaultSnapshotChunkBytes)
    {
        if (segmentEntries < 2) throw new ArgumentOutOfRangeException(nameof(segmentEntries), "a segment holds at least 2 entries");
        if (snapshotChunkBytes < 1) throw new ArgumentOutOfRangeException(nameof(snapshotChunkBytes), "a snapshot chunk holds at least 1 byte");
        _storage = storage;
        _grainId = grainId;
        _segmentEntries = segmentEntries;
        _snapshotChunkBytes = snapshotChunkBytes;
    }

    /// <summary>Storage writes made by the last successful <see cref="PersistAsync"/>.</summary>
    public int LastPersistWrites { get; private set; }

    /// <summary>Entries in the open tail after the last load or persist.</summary>
    public int TailEntries => _durable.State.Tail.Count;

    public int SealedSegments => _sealed.Count;

    /// <summary>The index of the durable snapshot (0: none).</summary>
    public long SnapshotIndex => _durable.State.Snapshot?.Index ?? 0;

    /// <summary>
    /// Reads the node state and the snapshot it names, and walks the segment chain back only as far as
    /// it holds entries after the snapshot. Rows behind that (left by a crash before their deletion)
    /// are found and queued for <see cref="TakeObsoleteRows"/>. Entries the snapshot covers are not
    /// returned.
    /// </summary>
    public async Task<PersistentState> LoadAsync()
    {
        var node = await ReadNodeRowAsync();
        node.State ??= new StoredNodeState();
        var manifest = node.State.Snapshot;
        var snapshotIndex = manifest?.Index ?? 0;
        var snapshot = manifest is null ? null : await ReadSnapshotAsync(manifest);

        var chain = new List<(string Name, StoredLogSegment Segment)>();
        var nextFirst = node.State.TailFirstIndex;
        var name = node.State.LastSealedSegment;
        while (nextFirst - 1 > snapshotIndex)
        {
            if (name is null)
                throw new RaftStorageCorruptException(
                    $"node {_grainId}: the stored log starts at {nextFirst} but the snapshot only covers up to {snapshotIndex}");
            var segment = await ReadRowAsync<StoredLogSegment>(name)
                          ?? throw new RaftStorageCorruptException($"node {_grainId}: log segment {name} is referenced but missing");
            if (segment.Entries.Count == 0 || segment.FirstIndex + segment.Entries.Count != nextFirst)
                throw new RaftStorageCorruptException(
                    $"node {_grainId}: segment {name} starts at {segment.FirstIndex} with {segment.Entries.Count} entries; expected a non-empty segment ending at {nextFirst - 1}");
            chain.Add((name, segment));
            nextFirst = segment.FirstIndex;
            name = segment.PreviousSegment;
        }
        chain.Reverse();

        var garbage = new List<string>();
        for (; name is not null && await ReadRowAsync<StoredLogSegment>(name) is { } covered; name = covered.PreviousSegment)
            garbage.Add(name);
        garbage.Reverse();

        var entries = new List<LogEntry>();
        foreach (var (segmentName, segment) in chain) AppendChecked(entries, segment.FirstIndex, segment.Entries, segmentName);
        AppendChecked(entries, node.State.TailFirstIndex, node.State.Tail, NodeStateName);

        _durable = node;
        _inDoubt = null;
        _sealed = chain.Select(c => new SealedSegment(c.Name, c.Segment.FirstIndex)).ToList();
        _obsolete.Clear();
        _obsolete.AddRange(garbage);
        if (manifest is not null) _obsolete.AddRange(manifest.SupersededChunks);
        _obsolete.AddRange(node.State.UnlinkedRows);
        _swept.Clear();
        var hard = new HardState(node.State.Term, node.State.VotedFor, node.State.Commit);
        return new PersistentState(hard, entries.Where(e => e.Index > snapshotIndex).ToList(), snapshot);
    }

    /// <summary>
    /// Makes <paramref name="snapshot"/> (null: none), <paramref name="hardState"/> (null: unchanged) and
    /// <paramref name="entries"/> durable, in one node-state write. A snapshot replaces the stored log up
    /// to its index, or all of it when <paramref name="logDiscarded"/> (Figure 13, rule 7).
    /// <paramref name="entries"/> replace every stored entry from <c>entries[0].Index</c> on (a
    /// follower truncating a conflicting suffix, §5.3); <paramref name="heldEntry"/> supplies entries
    /// below that index which must be rewritten when the truncation reaches into a sealed segment.
    /// Throws <see cref="InconsistentStateException"/> when a newer writer owns the row (fenced), and
    /// whatever the database throws on failure; in both cases nothing is considered durable and the
    /// store's view stays as it was, so the same call can be retried.
    /// </summary>
    public async Task PersistAsync(HardState? hardState, IReadOnlyList<LogEntry> entries, Func<long, LogEntry> heldEntry,
        Snapshot? snapshot = null, bool logDiscarded = false)
    {
        var durable = _durable.State;
        var writes = 0;
        var log = new LogLayout(durable.TailFirstIndex, durable.Tail, _sealed, durable.LastSealedSegment, durable.Snapshot);
        var obsolete = new List<string>();
        if (snapshot is not null)
        {
            if (snapshot.Index <= log.SnapshotIndex)
                throw new InvalidOperationException($"snapshot at {snapshot.Index} is not newer than the stored one at {log.SnapshotIndex}");
            var chunks = await InsertSnapshotChunksAsync(snapshot);
            writes += chunks.Count;
            obsolete.AddRange(log.Compact(snapshot.Index, logDiscarded));
            if (durable.Snapshot is not null) obsolete.AddRange(durable.Snapshot.Chunks);
            log.Snapshot = new StoredSnapshotManifest
            {
                Index = snapshot.Index,
                Term = snapshot.Term,
                Voters = snapshot.Config.Voters.ToList(),
                Learners = snapshot.Config.Learners.ToList(),
                Bytes = snapshot.Data.Length,
                Chunks = chunks,
                SupersededChunks = durable.Snapshot?.Chunks ?? new List<string>(),
            };
        }
        // Segments a truncation unlinks are listed in the node row until deleted: nothing else leads to them.
        var unlinked = entries.Count > 0
            ? log.Replace(entries.Select(ToStored).ToList(), index => ToStored(heldEntry(index))).ToList()
            : new List<string>();
        obsolete.AddRange(unlinked);
        var deleted = DeletedRows();

        var segmentsInserted = 0;
        while (log.Tail.Count >= _segmentEntries)
        {
            var segment = new StoredLogSegment
            {
                FirstIndex = log.TailFirst,
                PreviousSegment = log.LastSealed,
                Entries = log.Tail.GetRange(0, _segmentEntries),
            };
            var name = RowName(SegmentPrefix, durable.WriteId, segmentsInserted++);
            await InsertOnceAsync(name, segment, SameContent);
            writes++;
            log.Seal(name, _segmentEntries);
        }

        var hard = hardState ?? new HardState(durable.Term, durable.VotedFor, durable.Commit);
        var next = new StateHolder<StoredNodeState>(new StoredNodeState
        {
            Term = hard.Term,
            VotedFor = hard.VotedFor,
            Commit = hard.Commit,
            TailFirstIndex = log.TailFirst,
            LastSealedSegment = log.LastSealed,
            Tail = log.Tail,
            Snapshot = log.Snapshot,
            WriteId = _inDoubt is { } retried && retried.IsSameCall(hardState, entries, snapshot, logDiscarded)
                ? retried.Next.State.WriteId
                : Random.Shared.NextInt64(1, long.MaxValue),
            UnsweptWriteIds = durable.UnsweptWriteIds.Where(id => !_swept.Contains(id))
                .Concat(_claiming && durable.WriteId != 0 ? [durable.WriteId] : []).Distinct().ToList(),
            UnlinkedRows = durable.UnlinkedRows.Where(name => !deleted.Contains(name)).Concat(unlinked).ToList(),
        }, _durable.ETag);
        var attempt = new NodeRowWrite(hardState, entries, snapshot, logDiscarded, next, log.Sealed, obsolete, writes + 1);
        try
        {
            RowInUse = NodeStateName;
            await _storage.WriteStateAsync(NodeStateName, _grainId, next);
        }
        catch (InconsistentStateException) when (_inDoubt is { } earlier)
        {
            // The row moved since we read it. If it moved to a write of ours whose answer was lost, that
            // write is done; anything else is a newer writer, and the fence holds.
            var row = await ReadNodeRowAsync();
            if (row.State?.WriteId != earlier.Next.State.WriteId) throw;
            _inDoubt = null;
            Adopt(earlier, row.ETag);
            if (!earlier.IsSameCall(hardState, entries, snapshot, logDiscarded))
                await PersistAsync(hardState, entries, heldEntry, snapshot, logDiscarded);
            return;
        }
        catch (Exception e) when (e is not InconsistentStateException)
        {
            // The outcome is unknown: the database may have committed the row and lost the answer.
            _inDoubt = attempt;
            throw;
        }
        _inDoubt = null;
        Adopt(attempt, next.ETag);
    }

    /// <summary>Whether the node row still has the version of this store's last write (or load): false
    /// once another writer, i.e. another activation of the node, has written it.</summary>
    public async Task<bool> OwnsNodeRowAsync()
    {
        var expected = DurableVersion;
        RowInUse = NodeStateName;
        return await ReadNodeRowVersionAsync() == expected;
    }

    /// <summary>The node row's version as of this store's last write or load.</summary>
    public string? DurableVersion => _durable.ETag;

    /// <summary>The node row's version in the database now. Safe to run alongside the store's other calls:
    /// it only uses the storage.</summary>
    public async Task<string?> ReadNodeRowVersionAsync()
    {
        var row = new StateHolder<StoredNodeState>(new StoredNodeState());
        await _storage.ReadStateAsync(NodeStateName, _grainId, row);
        return row.ETag;
    }

    /// <summary>The row the last storage call was about: names the row when a call fails.</summary>
    public string RowInUse { get; private set; } = NodeStateName;

    private async Task<StateHolder<StoredNodeState>> ReadNodeRowAsync()
    {
        var row = new StateHolder<StoredNodeState>(new StoredNodeState());
        RowInUse = NodeStateName;
        await _storage.ReadStateAsync(NodeStateName, _grainId, row);
        return row;
    }

    private void Adopt(NodeRowWrite write, string? eTag)
    {
        _durable = new StateHolder<StoredNodeState>(write.Next.State, eTag) { RecordExists = true };
        _swept.RemoveWhere(id => !write.Next.State.UnsweptWriteIds.Contains(id));
        lock (_deletedRows) _deletedRows.RemoveWhere(name => !write.Next.State.UnlinkedRows.Contains(name));
        _sealed = write.Sealed;
        _obsolete.AddRange(write.Obsolete);
        LastPersistWrites = write.Writes;
    }

    /// <summary>Hands out (and forgets) the rows nothing references any more, in the order
    /// <see cref="DeleteRowsAsync"/> must delete them.</summary>
    public IReadOnlyList<string> TakeObsoleteRows()
    {
        var rows = _obsolete.ToArray();
        _obsolete.Clear();
        return rows;
    }

    /// <summary>Deletes write-once rows, up to 256 in one statement (segments oldest first, so that a crash
    /// midway leaves the rest reachable from the chain for the next load to find). A row already gone is
    /// skipped. Safe to run alongside the store's other calls: it only uses the storage.</summary>
    public async Task DeleteRowsAsync(IReadOnlyList<string> rows)
    {
        // In batches, each one statement and one transaction (a sync), in the order given: a deletion cut
        // short leaves the rows of the later batches, which the next load or sweep finds again.
        foreach (var batch in rows.Chunk(MaxRowsPerDelete))
        {
            RowInUse = batch[0];
            await _storage.ClearStateAsync(DeleteRowsPrefix + string.Join(',', batch), _grainId, WriteOnceRow(new StoredLogSegment()));
            lock (_deletedRows) _deletedRows.UnionWith(batch);
        }
    }

    /// <summary>Bounds one delete statement's parameter (row names are about 30 characters).</summary>
    private const int MaxRowsPerDelete = 256;

    private HashSet<string> DeletedRows()
    {
        lock (_deletedRows) return new HashSet<string>(_deletedRows, StringComparer.Ordinal);
    }

    /// <summary>
    /// A new activation's first write: rewrites the node row unchanged but for a new write id, which moves
    /// its version (the fence) and, since it inserts nothing, proves that every row named after the loaded
    /// row's write id belongs to a write that never became durable. That id is recorded in the row for
    /// <see cref="SweepAsync"/>.
    /// </summary>
    public async Task ClaimAsync()
    {
        _claiming = true;
        try
        {
            await PersistAsync(null, Array.Empty<LogEntry>(),
                index => throw new InvalidOperationException($"a claim rewrites no entry (asked for {index})"));
        }
        finally
        {
            _claiming = false;
        }
    }

    /// <summary>
    /// Deletes the rows of writes that never became durable (inserted before a node-row write that then
    /// failed, or never came): for each write id the node row lists as unswept, the segment and chunk rows
    /// named after it, found by trying their names in order. Call only after <see cref="ClaimAsync"/>
    /// succeeded; the next node-row write forgets the ids swept.
    /// </summary>
    public async Task SweepAsync()
    {
        foreach (var writeId in _durable.State.UnsweptWriteIds.ToArray())
        {
            var rows = new List<string>();
            for (var n = 0; await ReadRowAsync<StoredLogSegment>(RowName(SegmentPrefix, writeId, n)) is not null; n++)
                rows.Add(RowName(SegmentPrefix, writeId, n));
            for (var n = 0; await ReadRowAsync<StoredSnapshotChunk>(RowName(SnapshotChunkPrefix, writeId, n)) is not null; n++)
                rows.Add(RowName(SnapshotChunkPrefix, writeId, n));
            // Last first: a sweep cut short leaves the first rows, which the next sweep finds again.
            rows.Reverse();
            await DeleteRowsAsync(rows);
            _swept.Add(writeId);
        }
    }

    private static StateHolder<T> WriteOnceRow<T>(T state) => new(state, WriteOnceRowVersion) { RecordExists = true };

    private async Task<T?> ReadRowAsync<T>(string name) where T : class, new()
    {
        var row = new StateHolder<T>(new T());
        RowInUse = name;
        await _storage.ReadStateAsync(name, _grainId, row);
        return row.RecordExists ? row.State : null;
    }

    private async Task<List<string>> InsertSnapshotChunksAsync(Snapshot snapshot)
    {
        var names = new List<string>();
        var offset = 0;
        do
        {
            var length = Math.Min(_snapshotChunkBytes, snapshot.Data.Length - offset);
            var chunk = new StoredSnapshotChunk
            {
                SnapshotIndex = snapshot.Index,
                Number = names.Count,
                Data = snapshot.Data.AsSpan(offset, length).ToArray(),
            };
            var name = RowName(SnapshotChunkPrefix, _durable.State.WriteId, chunk.Number);
            await InsertOnceAsync(name, chunk, (a, b) =>
                a.SnapshotIndex == b.SnapshotIndex && a.Number == b.Number && a.Data.AsSpan().SequenceEqual(b.Data));
            names.Add(name);
            offset += length;
        } while (offset < snapshot.Data.Length);
        return names;
    }

    private async Task<Snapshot> ReadSnapshotAsync(StoredSnapshotManifest manifest)
    {
        var data = new byte[manifest.Bytes];
        var offset = 0;
        for (var number = 0; number < manifest.Chunks.Count; number++)
        {
            var name = manifest.Chunks[number];
            var chunk = await ReadRowAsync<StoredSnapshotChunk>(name)
                        ?? throw new RaftStorageCorruptException($"node {_grainId}: snapshot chunk {name} is referenced but missing");
            if (chunk.SnapshotIndex != manifest.Index || chunk.Number != number || offset + chunk.Data.Length > data.Length)
                throw new RaftStorageCorruptException($"node {_grainId}: snapshot chunk {name} does not belong at position {number} of snapshot {manifest.Index}");
            chunk.Data.CopyTo(data, offset);
            offset += chunk.Data.Length;
        }
        if (offset != data.Length)
            throw new RaftStorageCorruptException($"node {_grainId}: snapshot {manifest.Index} has {offset} of its {data.Length} bytes");
        return new Snapshot(manifest.Index, manifest.Term, new ClusterConfig(manifest.Voters, manifest.Learners), data);
    }

    private async Task InsertOnceAsync<T>(string name, T row, Func<T, T, bool> sameContent) where T : class, new()
    {
        try
        {
            // No ETag: insert only. Names are unique to one write on top of one node row (RowName), so an
            // existing row with this name can only be this very row, left by an earlier attempt of the same
            // write that failed later on.
            RowInUse = name;
            await _storage.WriteStateAsync(name, _grainId, new StateHolder<T>(row));
        }
        catch (InconsistentStateException)
        {
            var existing = await ReadRowAsync<T>(name);
            if (existing is null || !sameContent(existing, row))
                throw new RaftStorageCorruptException($"node {_grainId}: write-once row {name} exists with other content");
        }
    }

    private static bool SameContent(StoredLogSegment a, StoredLogSegment b) =>
        a.FirstIndex == b.FirstIndex && a.PreviousSegment == b.PreviousSegment && a.Entries.Count == b.Entries.Count &&
        a.Entries.Zip(b.Entries).All(p => p.First.Index == p.Second.Index && p.First.Term == p.Second.Term &&
                                          p.First.Kind == p.Second.Kind && p.First.Data.AsSpan().SequenceEqual(p.Second.Data));

    /// <summary>Rows are named after the write id of the node row they were written on top of and their
    /// position among the rows of that kind the write inserts. Unique (a node row's successor is written
    /// once), the same on a retry of the same write, and predictable from the node row alone: a load finds
    /// the rows of a write that never became durable by trying these names (<see cref="SweepAsync"/>).</summary>
    private static string RowName(string prefix, long baseWriteId, int position) => $"{prefix}{baseWriteId:x16}-{position}";

    private void AppendChecked(List<LogEntry> log, long firstIndex, List<StoredEntry> stored, string row)
    {
        var expected = log.Count > 0 ? log[^1].Index + 1 : firstIndex;
        if (firstIndex != expected)
            throw new RaftStorageCorruptException($"node {_grainId}: row {row} starts at {firstIndex} where {expected} belongs");
        foreach (var entry in stored)
        {
            if (entry.Index != expected)
                throw new RaftStorageCorruptException($"node {_grainId}: row {row} holds entry {entry.Index} where {expected} belongs");
            if (!Enum.IsDefined(typeof(EntryKind), entry.Kind))
                throw new RaftStorageCorruptException($"node {_grainId}: entry {entry.Index} has unknown kind {entry.Kind}");
            log.Add(new LogEntry(entry.Index, entry.Term, (EntryKind)entry.Kind, entry.Data));
            expected++;
        }
    }

    private static StoredEntry ToStored(LogEntry entry) => new(entry.Index, entry.Term, (byte)entry.Kind, entry.Data);

    private readonly record struct SealedSegment(string Name, long FirstIndex);

    /// <summary>One attempt at a node-row write: what was asked, and the store's view once it is durable.</summary>
    private sealed record NodeRowWrite(HardState? Hard, IReadOnlyList<LogEntry> Entries, Snapshot? Snapshot, bool LogDiscarded,
        StateHolder<StoredNodeState> Next, List<SealedSegment> Sealed, List<string> Obsolete, int Writes)
    {
        /// <summary>The caller retries a failed write by repeating the call with the same arguments.</summary>
        public bool IsSameCall(HardState? hard, IReadOnlyList<LogEntry> entries, Snapshot? snapshot, bool logDiscarded) =>
            Equals(Hard, hard) && ReferenceEquals(Entries, entries) && ReferenceEquals(Snapshot, snapshot) && LogDiscarded == logDiscarded;
    }

    /// <summary>The stored log as the next node-state write will describe it, built up from the durable
    /// one without touching it (a failed write must leave the store as it was).</summary>
    private sealed class LogLayout(long tailFirst, List<StoredEntry> tail, List<SealedSegment> sealedSegments, string? lastSealed,
        StoredSnapshotManifest? snapshot)
    {
        public long TailFirst { get; private set; } = tailFirst;
        public List<StoredEntry> Tail { get; private set; } = tail;
        public List<SealedSegment> Sealed { get; } = sealedSegments.ToList();

        /// <summary>The newest sealed segment. It may lie wholly below the snapshot (even be deleted): it
        /// stays named so that new segments chain to it and a load can find undeleted rows behind it.</summary>
        public string? LastSealed { get; private set; } = lastSealed;

        public StoredSnapshotManifest? Snapshot { get; set; } = snapshot;

        public long SnapshotIndex => Snapshot?.Index ?? 0;

        /// <summary>Drops what a snapshot at <paramref name="index"/> covers (or, discarded, the whole log)
        /// and returns the sealed segments that became garbage, oldest first.</summary>
        public IEnumerable<string> Compact(long index, bool discardLog)
        {
            Tail = discardLog ? new List<StoredEntry>() : Tail.Where(e => e.Index > index).ToList();
            var oldTailFirst = TailFirst;
            TailFirst = discardLog ? index + 1 : Math.Max(TailFirst, index + 1);
            var covered = 0;
            while (covered < Sealed.Count && (discardLog || SegmentEnd(covered, oldTailFirst) <= index)) covered++;
            var garbage = Sealed.GetRange(0, covered).Select(s => s.Name).ToList();
            Sealed.RemoveRange(0, covered);
            return garbage;
        }

        /// <summary>Replaces every entry from <c>entries[0].Index</c> on; truncating into a sealed
        /// segment starts a new chain from the last segment kept (write-once rows are never changed).</summary>
        public IEnumerable<string> Replace(List<StoredEntry> entries, Func<long, StoredEntry> heldEntry)
        {
            var unlinked = new List<string>();
            var first = entries[0].Index;
            var durableLast = TailFirst + Tail.Count - 1;
            if (first <= SnapshotIndex || first > durableLast + 1)
                throw new InvalidOperationException(
                    $"entries start at {first} but the stored log holds {SnapshotIndex + 1}..{durableLast}");
            if (first >= TailFirst)
            {
                Tail = Tail.GetRange(0, (int)(first - TailFirst));
            }
            else
            {
                // Drop every segment holding an index at or after `first` and rebuild the tail from the
                // start of the earliest dropped one, or from the snapshot if that starts before it (the
                // node no longer holds entries the snapshot covers, nor needs them).
                var kept = Sealed.Count;
                var rebuildFrom = TailFirst;
                while (rebuildFrom > first)
                {
                    kept--;
                    rebuildFrom = Sealed[kept].FirstIndex;
                }
                LastSealed = kept > 0 ? Sealed[kept - 1].Name : null;
                unlinked.AddRange(Sealed.Skip(kept).Select(s => s.Name));
                Sealed.RemoveRange(kept, Sealed.Count - kept);
                TailFirst = Math.Max(rebuildFrom, SnapshotIndex + 1);
                Tail = new List<StoredEntry>();
                for (var index = TailFirst; index < first; index++) Tail.Add(heldEntry(index));
            }
            Tail.AddRange(entries);
            return unlinked;
        }

        public void Seal(string name, int count)
        {
            Sealed.Add(new SealedSegment(name, TailFirst));
            LastSealed = name;
            Tail = Tail.GetRange(count, Tail.Count - count);
            TailFirst += count;
        }

        private long SegmentEnd(int position, long tailFirst) =>
            (position + 1 < Sealed.Count ? Sealed[position + 1].FirstIndex : tailFirst) - 1;
    }
}
