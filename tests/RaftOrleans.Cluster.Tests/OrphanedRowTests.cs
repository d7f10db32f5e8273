using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.Grains.Storage;
using RaftOrleans.Raft;

namespace RaftOrleans.Cluster.Tests;

/// <summary>Issue 10 (minor): rows nothing references any more must be found and deleted, also after a
/// crash: segments a truncation unlinked, and rows inserted before a node-row write that then failed.
/// The store runs on a silo's real "raft" storage (SQLite, or PostgreSQL when RAFT_TEST_POSTGRES is set),
/// under a grain id of its own.</summary>
public sealed class OrphanedRowTests
{
    private const int SegmentEntries = 4;
    private static readonly GrainId Node = GrainId.Create("raftnode", "orphans");

    [Fact]
    public Task Sqlite_rows_left_by_a_truncation_or_a_failed_write_are_deleted_by_the_next_activation() => OrphansAsync(null);

    [PostgresFact]
    public Task Postgres_rows_left_by_a_truncation_or_a_failed_write_are_deleted_by_the_next_activation() =>
        OrphansAsync((_, _) => new RaftStorageSettings { Kind = DatabaseKind.Postgres, ConnectionString = PostgresFactAttribute.ConnectionString! });

    private static async Task OrphansAsync(Func<string, string, RaftStorageSettings>? settings)
    {
        await using var cluster = await RaftTestCluster.StartAsync(1, settings);
        var silo = cluster.Silo("n1").ServiceProvider;
        var storage = new TestGrainStorage(FencingTests.StorageOf(cluster, "n1"), silo.GetRequiredService<Serializer>());
        var log = new List<LogEntry>();
        Task PersistAsync(RaftNodeStore store, HardState? hard, params LogEntry[] entries)
        {
            log.RemoveRange((int)entries[0].Index - 1, log.Count - (int)entries[0].Index + 1);
            log.AddRange(entries);
            return store.PersistAsync(hard, entries, index => log[(int)index - 1]);
        }
        string[] SegmentsWritten() => storage.Writes.Select(w => w.StateName).Where(n => n.StartsWith(RaftNodeStore.SegmentPrefix)).Distinct().ToArray();

        var first = await ActivateAsync(storage);
        await PersistAsync(first, new HardState(1, "n1", 0), Entries(1, 9, term: 1)); // [1-4] [5-8], tail 9
        var truncated = SegmentsWritten();
        Assert.Equal(2, truncated.Length);

        // A leader of term 2 overwrites from 3: both segments are unlinked (1-4 is sealed anew). The process
        // dies before it deletes them.
        await PersistAsync(first, new HardState(2, "n2", 0), Entries(3, 4, term: 2));
        var second = await ActivateAsync(storage);
        Assert.Empty(await ExistingAsync(storage, truncated));

        // The tail fills a segment, which goes in; the node-row write that would link it fails; the
        // process dies.
        var before = SegmentsWritten();
        storage.FailWritesOf = RaftNodeStore.NodeStateName;
        await Assert.ThrowsAsync<IOException>(() => PersistAsync(second, null, Entries(5, 8, term: 2)));
        storage.FailWritesOf = null;
        log.RemoveRange(4, 4);
        var unlinked = SegmentsWritten().Except(before).ToArray();
        Assert.Single(unlinked);
        Assert.Single(await ExistingAsync(storage, unlinked));

        await ActivateAsync(storage);
        Assert.Empty(await ExistingAsync(storage, unlinked));
        var reloaded = await new RaftNodeStore(storage, Node, SegmentEntries).LoadAsync();
        Assert.Equal(log.Select(e => (e.Index, e.Term)), reloaded.Entries.Select(e => (e.Index, e.Term)));
    }

    /// <summary>What a node activation does with its store before it acts.</summary>
    private static async Task<RaftNodeStore> ActivateAsync(IGrainStorage storage)
    {
        var store = new RaftNodeStore(storage, Node, SegmentEntries);
        await store.LoadAsync();
        await store.ClaimAsync();
        await store.SweepAsync();
        await store.DeleteRowsAsync(store.TakeObsoleteRows());
        return store;
    }

    private static async Task<string[]> ExistingAsync(IGrainStorage storage, IEnumerable<string> rows)
    {
        var existing = new List<string>();
        foreach (var row in rows)
        {
            var holder = new StateHolder<StoredLogSegment>(new StoredLogSegment());
            await storage.ReadStateAsync(row, Node, holder);
            if (holder.RecordExists) existing.Add(row);
        }
        return existing.ToArray();
    }

    private static LogEntry[] Entries(int from, int to, long term) =>
        Enumerable.Range(from, to - from + 1).Select(i => new LogEntry(i, term, EntryKind.Command, [(byte)i, (byte)term])).ToArray();
}
