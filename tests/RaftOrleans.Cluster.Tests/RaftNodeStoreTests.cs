using Orleans.Storage;
using RaftOrleans.Grains.Storage;
using RaftOrleans.Raft;

namespace RaftOrleans.Cluster.Tests;

/// <summary>The segmented log store on its own: appends, truncations into the tail and into sealed
/// segments (§5.3: a follower deletes a conflicting suffix), and failures between its writes.</summary>
public sealed class RaftNodeStoreTests
{
    private const int SegmentEntries = 4;
    private static readonly GrainId Node = GrainId.Create("raftnode", "n1");

    private readonly InMemoryGrainStorage _storage = new();
    private readonly List<LogEntry> _log = new(); // what the core holds: the source of rewritten entries

    private RaftNodeStore NewStore() => new(_storage, Node, SegmentEntries);

    private static LogEntry Entry(long index, long term) => new(index, term, EntryKind.Command, [(byte)index, (byte)term]);

    /// <summary>Applies a Ready's entries to the model log the way the core does, then persists them.</summary>
    private async Task PersistAsync(RaftNodeStore store, HardState? hard, params LogEntry[] entries)
    {
        if (entries.Length > 0) _log.RemoveRange((int)entries[0].Index - 1, _log.Count - (int)entries[0].Index + 1);
        _log.AddRange(entries);
        await store.PersistAsync(hard, entries, index => _log[(int)index - 1]);
    }

    private async Task AssertReloadsAsModelAsync(HardState expectedHard)
    {
        var restored = await NewStore().LoadAsync();
        Assert.Equal(expectedHard, restored.HardState);
        Assert.Equal(_log.Select(e => (e.Index, e.Term)), restored.Entries.Select(e => (e.Index, e.Term)));
        Assert.All(restored.Entries, e => Assert.Equal(new[] { (byte)e.Index, (byte)e.Term }, e.Data));
    }

    [Fact]
    public async Task Appends_across_segments_reload_in_order()
    {
        var store = NewStore();
        await store.LoadAsync();
        var hard = new HardState(1, "n1", 0);
        await PersistAsync(store, hard, Entry(1, 1));
        for (var i = 2; i <= 11; i++) await PersistAsync(store, null, Entry(i, 1));
        hard = new HardState(1, "n1", 9);
        await PersistAsync(store, hard, Enumerable.Range(12, 6).Select(i => Entry(i, 1)).ToArray());

        Assert.Equal(17 / SegmentEntries, store.SealedSegments);
        Assert.Equal(17 % SegmentEntries, store.TailEntries);
        await AssertReloadsAsModelAsync(hard);
    }

    [Theory]
    [InlineData(11)] // inside the open tail
    [InlineData(9)]  // the tail's first index
    [InlineData(6)]  // inside a sealed segment
    [InlineData(2)]  // inside the first segment
    public async Task A_truncated_suffix_is_replaced_and_stays_replaced_after_reload(int conflictAt)
    {
        var store = NewStore();
        await store.LoadAsync();
        await PersistAsync(store, new HardState(1, "n1", 1), Enumerable.Range(1, 14).Select(i => Entry(i, 1)).ToArray());

        // A new leader of term 2 overwrites from conflictAt with a shorter suffix: the stored log must
        // end where the new entries end, with nothing of the old suffix left behind.
        var hard = new HardState(2, "n2", 1);
        await PersistAsync(store, hard, Entry(conflictAt, 2), Entry(conflictAt + 1, 2));
        await AssertReloadsAsModelAsync(hard);

        // And it keeps growing normally from there, across the next segment boundaries.
        for (var i = conflictAt + 2; i < conflictAt + 12; i++) await PersistAsync(store, null, Entry(i, 2));
        await AssertReloadsAsModelAsync(hard);
    }

    [Fact]
    public async Task A_failure_after_sealing_a_segment_leaves_the_previous_log_and_the_retry_succeeds()
    {
        var store = NewStore();
        await store.LoadAsync();
        var hard = new HardState(1, "n1", 0);
        await PersistAsync(store, hard, Entry(1, 1), Entry(2, 1), Entry(3, 1));
        var beforeFailure = _log.ToList();

        // The next append fills the tail: the segment row is inserted, then the node row write fails.
        _storage.FailWritesOf = RaftNodeStore.NodeStateName;
        var fourth = Entry(4, 1);
        await Assert.ThrowsAsync<IOException>(() => store.PersistAsync(null, [fourth], i => _log[(int)i - 1]));
        var afterCrash = await NewStore().LoadAsync();
        Assert.Equal(beforeFailure.Select(e => e.Index), afterCrash.Entries.Select(e => e.Index));

        // The node retries the same Ready: the segment already exists with the same content.
        _storage.FailWritesOf = null;
        await PersistAsync(store, null, fourth, Entry(5, 1));
        await AssertReloadsAsModelAsync(hard);
    }

    [Fact]
    public async Task Two_stores_of_one_node_cannot_both_write()
    {
        var first = NewStore();
        var second = NewStore();
        await first.LoadAsync();
        await second.LoadAsync();
        await PersistAsync(first, new HardState(3, "n1", 0), Entry(1, 3));
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            second.PersistAsync(new HardState(3, "n3", 0), [], _ => throw new InvalidOperationException()));
        await AssertReloadsAsModelAsync(new HardState(3, "n1", 0));
    }

    [Fact]
    public async Task A_missing_segment_is_reported_as_corruption()
    {
        var store = NewStore();
        await store.LoadAsync();
        await PersistAsync(store, new HardState(1, null, 0), Enumerable.Range(1, 9).Select(i => Entry(i, 1)).ToArray());
        _storage.DeleteRowsOf("raft-log-");
        var error = await Assert.ThrowsAsync<RaftStorageCorruptException>(() => NewStore().LoadAsync());
        Assert.Contains("missing", error.Message);
    }

    /// <summary>Issue 10, defect 6: the database stored the node row but the answer was lost. The same
    /// Ready written again must be taken as done, not as a newer writer's row (the fence).</summary>
    [Fact]
    public async Task A_node_row_write_that_committed_but_timed_out_is_recognised_when_retried()
    {
        var store = NewStore();
        await store.LoadAsync();
        var hard = new HardState(1, "n1", 0);
        await PersistAsync(store, hard, Entry(1, 1), Entry(2, 1), Entry(3, 1));

        _storage.CommitThenTimeOutNextWriteOf = RaftNodeStore.NodeStateName; // the fourth entry seals a segment
        _log.Add(Entry(4, 1));
        IReadOnlyList<LogEntry> ready = [_log[^1]];
        await Assert.ThrowsAnyAsync<TimeoutException>(() => store.PersistAsync(null, ready, i => _log[(int)i - 1]));
        await store.PersistAsync(null, ready, i => _log[(int)i - 1]);

        await PersistAsync(store, null, Entry(5, 1), Entry(6, 1));
        await AssertReloadsAsModelAsync(hard);
    }

    /// <summary>...and recognising its own write must not blind the store to a newer writer.</summary>
    [Fact]
    public async Task A_write_of_unknown_outcome_still_meets_the_fence_of_a_newer_writer()
    {
        var store = NewStore();
        await store.LoadAsync();
        await PersistAsync(store, new HardState(1, "n1", 0), Entry(1, 1));

        _storage.FailWritesOf = RaftNodeStore.NodeStateName;
        _log.Add(Entry(2, 1));
        IReadOnlyList<LogEntry> ready = [_log[^1]];
        await Assert.ThrowsAnyAsync<IOException>(() => store.PersistAsync(null, ready, i => _log[(int)i - 1]));
        _storage.FailWritesOf = null;

        var newer = NewStore();
        await newer.LoadAsync();
        await newer.PersistAsync(new HardState(2, "n3", 0), [], _ => throw new InvalidOperationException());
        await Assert.ThrowsAsync<InconsistentStateException>(() => store.PersistAsync(null, ready, i => _log[(int)i - 1]));
        var current = await NewStore().LoadAsync();
        Assert.Equal(new HardState(2, "n3", 0), current.HardState);
    }
}
