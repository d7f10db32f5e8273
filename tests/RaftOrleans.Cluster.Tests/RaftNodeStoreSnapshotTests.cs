using RaftOrleans.Grains.Storage;
using RaftOrleans.Raft;

namespace RaftOrleans.Cluster.Tests;

/// <summary>Snapshots in the segmented store (§7): chunked snapshot rows, compaction of the covered
/// segments only after the snapshot is durable, and loads after a crash at every step in between.</summary>
public sealed class RaftNodeStoreSnapshotTests
{
    private const int SegmentEntries = 4;
    private const int ChunkBytes = 300;
    private static readonly GrainId Node = GrainId.Create("raftnode", "n1");
    private static readonly ClusterConfig Config = new(["n1", "n2", "n3"]);

    private readonly InMemoryGrainStorage _storage = new();

    /// <summary>What the core holds: the source of entries the store rewrites. Entries a snapshot covered
    /// are removed, as the core compacts them, so a store that asked for one would fail the test.</summary>
    private readonly SortedDictionary<long, LogEntry> _held = new();

    private RaftNodeStore NewStore() => new(_storage, Node, SegmentEntries, ChunkBytes);

    private static LogEntry Entry(long index, long term) => new(index, term, EntryKind.Command, [(byte)index, (byte)term]);

    private static Snapshot SnapshotAt(long index, long term, int bytes) =>
        new(index, term, Config, Enumerable.Range(0, bytes).Select(i => (byte)(i * 7 + index)).ToArray());

    private Task PersistAsync(RaftNodeStore store, HardState? hard, IEnumerable<LogEntry> entries, Snapshot? snapshot = null,
        bool logDiscarded = false)
    {
        var list = entries.ToList();
        if (snapshot is not null)
        {
            foreach (var index in _held.Keys.Where(i => logDiscarded || i <= snapshot.Index).ToList()) _held.Remove(index);
        }
        if (list.Count > 0)
        {
            foreach (var index in _held.Keys.Where(i => i >= list[0].Index).ToList()) _held.Remove(index);
        }
        foreach (var entry in list) _held[entry.Index] = entry;
        return store.PersistAsync(hard, list, index => _held.TryGetValue(index, out var e)
            ? e
            : throw new InvalidOperationException($"the store asked for entry {index}, which the core no longer holds"), snapshot, logDiscarded);
    }

    private static IEnumerable<LogEntry> Entries(int from, int to, long term = 1) =>
        Enumerable.Range(from, to - from + 1).Select(i => Entry(i, term));

    private IReadOnlyList<string> SegmentRows() => _storage.StateNames.Where(n => n.StartsWith(RaftNodeStore.SegmentPrefix)).ToArray();

    private IReadOnlyList<string> ChunkRows() => _storage.StateNames.Where(n => n.StartsWith(RaftNodeStore.SnapshotChunkPrefix)).ToArray();

    private long FirstIndexOf(string segmentRow) => _storage.Peek<StoredLogSegment>(segmentRow).FirstIndex;

    private static void AssertLoaded(PersistentState state, Snapshot snapshot, long firstEntry, long lastEntry)
    {
        Assert.NotNull(state.Snapshot);
        Assert.Equal((snapshot.Index, snapshot.Term), (state.Snapshot!.Index, state.Snapshot.Term));
        Assert.Equal(snapshot.Data, state.Snapshot.Data);
        Assert.Equal(snapshot.Config.Voters, state.Snapshot.Config.Voters);
        Assert.Equal(Enumerable.Range((int)firstEntry, (int)(lastEntry - firstEntry + 1)).Select(i => (long)i), state.Entries.Select(e => e.Index));
    }

    [Fact]
    public async Task A_snapshot_written_but_not_yet_compacted_loads_from_the_snapshot_and_the_next_load_deletes_the_covered_segments()
    {
        var store = NewStore();
        await store.LoadAsync();
        await PersistAsync(store, new HardState(1, "n1", 12), Entries(1, 14));
        Assert.Equal(3, SegmentRows().Count); // [1-4] [5-8] [9-12], tail 13-14

        var snapshot = SnapshotAt(10, 1, 1000);
        await PersistAsync(store, null, [], snapshot);
        Assert.Equal(4, ChunkRows().Count); // 1000 bytes in chunks of 300

        // The process dies here: the snapshot is durable, the covered segments are not deleted yet.
        Assert.Equal(3, SegmentRows().Count);
        var reloaded = NewStore();
        AssertLoaded(await reloaded.LoadAsync(), snapshot, 11, 14);
        Assert.Equal(10, reloaded.SnapshotIndex);

        // The new activation finds the leftovers behind the chain and deletes them, oldest first.
        var leftovers = reloaded.TakeObsoleteRows();
        Assert.Equal([1L, 5L], leftovers.Select(FirstIndexOf));
        await reloaded.DeleteRowsAsync(leftovers);
        Assert.Equal([9L], SegmentRows().Select(FirstIndexOf)); // [9-12] still holds 11 and 12

        var again = NewStore();
        AssertLoaded(await again.LoadAsync(), snapshot, 11, 14);
        Assert.Empty(again.TakeObsoleteRows());

        // And the log grows on from there, across segment boundaries.
        await PersistAsync(again, new HardState(1, "n1", 20), Entries(15, 22));
        AssertLoaded(await NewStore().LoadAsync(), snapshot, 11, 22);
    }

    [Fact]
    public async Task The_running_store_hands_out_exactly_the_segments_wholly_below_the_snapshot()
    {
        var store = NewStore();
        await store.LoadAsync();
        await PersistAsync(store, new HardState(1, "n1", 14), Entries(1, 14));
        await PersistAsync(store, null, [], SnapshotAt(12, 1, 10));

        var obsolete = store.TakeObsoleteRows();
        Assert.Equal([1L, 5L, 9L], obsolete.Select(FirstIndexOf));
        await store.DeleteRowsAsync(obsolete);
        Assert.Empty(SegmentRows());
        Assert.Equal(2, store.TailEntries); // 13 and 14: the tail dropped nothing it still needs
        AssertLoaded(await NewStore().LoadAsync(), SnapshotAt(12, 1, 10), 13, 14);
    }

    /// <summary>A snapshot at 10,000 entries covers about 300 segments: one delete transaction (one sync)
    /// each raced the loop's own writes for the node's database. They go in one statement.</summary>
    [Fact]
    public async Task Compaction_deletes_every_covered_row_in_one_storage_call()
    {
        var store = NewStore();
        await store.LoadAsync();
        await PersistAsync(store, new HardState(1, "n1", 30), Entries(1, 30));
        await PersistAsync(store, null, [], SnapshotAt(10, 1, 2 * ChunkBytes));
        await store.DeleteRowsAsync(store.TakeObsoleteRows());
        await PersistAsync(store, null, [], SnapshotAt(29, 1, 10)); // six more segments and the first snapshot's chunks
        var obsolete = store.TakeObsoleteRows();
        Assert.True(obsolete.Count >= 6, $"{obsolete.Count} rows to delete");
        var clearsBefore = _storage.Clears;

        await store.DeleteRowsAsync(obsolete);

        Assert.Equal(1, _storage.Clears - clearsBefore);
        Assert.Empty(SegmentRows());
        Assert.Single(ChunkRows()); // the newest snapshot's one chunk stays
        AssertLoaded(await NewStore().LoadAsync(), SnapshotAt(29, 1, 10), 30, 30);
    }

    [Fact]
    public async Task A_failed_snapshot_write_leaves_the_whole_log_and_the_retry_succeeds()
    {
        var store = NewStore();
        await store.LoadAsync();
        await PersistAsync(store, new HardState(1, "n1", 9), Entries(1, 9));
        var snapshot = SnapshotAt(8, 1, 700);

        _storage.FailWritesOf = RaftNodeStore.NodeStateName; // the chunks go in, the node row fails
        await Assert.ThrowsAsync<IOException>(() => store.PersistAsync(null, [], _ => throw new InvalidOperationException(), snapshot));
        var afterCrash = await NewStore().LoadAsync();
        Assert.Null(afterCrash.Snapshot);
        Assert.Equal(Enumerable.Range(1, 9).Select(i => (long)i), afterCrash.Entries.Select(e => e.Index));
        Assert.Empty(store.TakeObsoleteRows()); // nothing may be deleted for a snapshot that is not durable

        _storage.FailWritesOf = null;
        await PersistAsync(store, null, [], snapshot); // the chunk rows exist already, with the same content
        AssertLoaded(await NewStore().LoadAsync(), snapshot, 9, 9);
    }

    [Fact]
    public async Task A_newer_snapshot_supersedes_the_older_ones_chunks()
    {
        var store = NewStore();
        await store.LoadAsync();
        await PersistAsync(store, new HardState(1, "n1", 20), Entries(1, 20));
        await PersistAsync(store, null, [], SnapshotAt(6, 1, 400));
        await store.DeleteRowsAsync(store.TakeObsoleteRows());
        var first = ChunkRows();
        Assert.Equal(2, first.Count);

        var second = SnapshotAt(17, 1, 200);
        await PersistAsync(store, null, [], second);
        var obsolete = store.TakeObsoleteRows();
        Assert.Equal(first, obsolete.Where(r => r.StartsWith(RaftNodeStore.SnapshotChunkPrefix)).Order());
        await store.DeleteRowsAsync(obsolete);
        Assert.Single(ChunkRows());
        Assert.All(SegmentRows(), row => Assert.True(FirstIndexOf(row) + SegmentEntries - 1 > 17, $"{row} lies wholly below the snapshot"));
        AssertLoaded(await NewStore().LoadAsync(), second, 18, 20);
    }

    [Fact]
    public async Task A_received_snapshot_that_discards_the_log_replaces_all_of_it()
    {
        var store = NewStore();
        await store.LoadAsync();
        await PersistAsync(store, new HardState(1, "n1", 3), Entries(1, 10));

        // A leader of term 3 sends a snapshot at 30 our log does not contain (Figure 13, rule 7), then
        // entries after it, all in one Ready.
        var snapshot = SnapshotAt(30, 3, 900);
        await PersistAsync(store, new HardState(3, null, 30), Entries(31, 33, term: 3), snapshot, logDiscarded: true);
        var obsolete = store.TakeObsoleteRows();
        Assert.Equal([1L, 5L], obsolete.Select(FirstIndexOf));
        AssertLoaded(await NewStore().LoadAsync(), snapshot, 31, 33);

        await store.DeleteRowsAsync(obsolete);
        await PersistAsync(store, null, Entries(34, 41, term: 3));
        var reloaded = await NewStore().LoadAsync();
        AssertLoaded(reloaded, snapshot, 31, 41);
        Assert.All(reloaded.Entries, e => Assert.Equal(3, e.Term));
    }

    [Fact]
    public async Task A_truncation_into_a_segment_the_snapshot_straddles_rewrites_no_compacted_entry()
    {
        var store = NewStore();
        await store.LoadAsync();
        await PersistAsync(store, new HardState(1, "n1", 10), Entries(1, 14));
        var snapshot = SnapshotAt(10, 1, 50);
        await PersistAsync(store, null, [], snapshot); // [9-12] straddles it: 9 and 10 are compacted

        // A new leader overwrites from 12 on: the store rebuilds from the segment start, but only from 11.
        await PersistAsync(store, new HardState(2, "n2", 10), Entries(12, 13, term: 2));
        var reloaded = await NewStore().LoadAsync();
        AssertLoaded(reloaded, snapshot, 11, 13);
        Assert.Equal([1L, 2L, 2L], reloaded.Entries.Select(e => e.Term));
    }

    [Fact]
    public async Task A_missing_snapshot_chunk_is_reported_as_corruption()
    {
        var store = NewStore();
        await store.LoadAsync();
        await PersistAsync(store, new HardState(1, "n1", 5), Entries(1, 5));
        await PersistAsync(store, null, [], SnapshotAt(5, 1, 1000));
        _storage.DeleteRowsOf(RaftNodeStore.SnapshotChunkPrefix);
        var error = await Assert.ThrowsAsync<RaftStorageCorruptException>(() => NewStore().LoadAsync());
        Assert.Contains("missing", error.Message);
    }
}
