using RaftOrleans.KeyValue.Raft;
using System.Collections.Concurrent;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.Grains.Storage;
using RaftOrleans.KeyValue;
using RaftOrleans.KeyValue.Encoding;
using static RaftOrleans.Cluster.Tests.KeyValueTests;

namespace RaftOrleans.Cluster.Tests;

/// <summary>Log compaction through the node grain (§7) with the key-value store: nodes snapshot when
/// the thresholds say so, the stored log below the snapshot is deleted, a restart reloads snapshot and
/// tail, and a follower that missed a compacted stretch catches up by InstallSnapshot.</summary>
public sealed class SnapshotTests
{
    private const int SegmentEntries = 8;
    private const int SnapshotChunkBytes = 128;

    /// <summary>Low thresholds so a few dozen writes snapshot, and small chunks so every snapshot is
    /// stored and sent in several.</summary>
    private static RaftNodeSettings Tuned(RaftNodeSettings settings) => settings with
    {
        LogSegmentEntries = SegmentEntries,
        SnapshotThresholdEntries = 40,
        SnapshotTrailingEntries = 5,
        SnapshotChunkBytes = SnapshotChunkBytes,
    };

    [Fact]
    public Task Sqlite_nodes_snapshot_delete_the_covered_log_and_reload_from_snapshot_and_tail() => SnapshotCompactRestartAsync(null);

    [PostgresFact]
    public Task Postgres_nodes_snapshot_delete_the_covered_log_and_reload_from_snapshot_and_tail() =>
        SnapshotCompactRestartAsync((_, _) => new RaftStorageSettings
        {
            Kind = DatabaseKind.Postgres,
            ConnectionString = PostgresFactAttribute.ConnectionString!,
        });

    private static async Task SnapshotCompactRestartAsync(Func<string, string, RaftStorageSettings>? storage)
    {
        var storages = new ConcurrentDictionary<string, TestGrainStorage>();
        await using var cluster = await RaftTestCluster.StartAsync(3, storage,
            configure: (node, silo) =>
            {
                silo.UseStateMachine(new KvNodeStateMachineFactory());
                TestGrainStorage.Install(silo, wrapper => storages.TryAdd(node, wrapper)); // the first incarnation's
            },
            tune: Tuned);

        // A session opened before the snapshot: its remembered answer must survive in the snapshot, or a
        // retry after the restart would apply a second time.
        await cluster.ProposeAsync(KvCommandCodec.Encode(KvCommand.OpenSession("snapshot-client")));
        var sessioned = KvCommandCodec.Encode(KvCommand.InSession("snapshot-client", 1, 1, new CasOperation("once", null, "first")));
        var firstAnswer = Result(await cluster.ProposeAsync(sessioned));
        Assert.Equal(KvStatus.Ok, firstAnswer.Status);

        var expected = new Dictionary<string, string?>();
        var lastIndex = await WriteAsync(cluster, expected, 0, 90, cluster.Nodes);
        var statuses = await Poll.UntilAsync(() => cluster.StatusesAsync(),
            s => s.Count == 3 && s.All(n => n.SnapshotIndex > 0 && n.AppliedIndex >= lastIndex),
            TimeSpan.FromSeconds(20), "every node to snapshot and apply the writes", Describe);

        foreach (var node in cluster.Nodes)
        {
            var store = FencingTests.StorageOf(cluster, node);
            var durable = await new RaftNodeStore(store, cluster.Node(node).GetGrainId(), SegmentEntries, SnapshotChunkBytes).LoadAsync();
            var snapshotIndex = durable.Snapshot?.Index ?? 0;
            Assert.True(snapshotIndex >= 40, $"{node}: durable snapshot at {snapshotIndex}");
            Assert.True(durable.Snapshot!.Data.Length > 2 * SnapshotChunkBytes, $"{node}: a snapshot of {durable.Snapshot.Data.Length} bytes fits one chunk");
            Assert.True(durable.Entries.Count == 0 || durable.Entries[0].Index == snapshotIndex + 1,
                $"{node}: the stored log after the snapshot at {snapshotIndex} starts at {durable.Entries[0].Index}");

            // Every segment written wholly below the durable snapshot is deleted (off the loop, so wait).
            var covered = storages[node].Writes.Select(w => w.StateName).Distinct()
                .Where(name => name.StartsWith(RaftNodeStore.SegmentPrefix, StringComparison.Ordinal))
                .Where(name => storages[node].SegmentFirstIndexes[name] + SegmentEntries - 1 <= snapshotIndex).ToArray();
            Assert.True(covered.Length >= 3, $"{node}: only {covered.Length} segments lie below the snapshot at {snapshotIndex}");
            await Poll.UntilAsync(async () =>
            {
                var left = new List<string>();
                foreach (var name in covered)
                    if (await RowExistsAsync(store, name, cluster.Node(node).GetGrainId())) left.Add(name);
                return left;
            }, left => left.Count == 0, TimeSpan.FromSeconds(10), $"{node}'s compacted segments to be deleted", left => string.Join(", ", left));
        }

        foreach (var node in cluster.Nodes) await cluster.KillAsync(node);
        foreach (var node in cluster.Nodes) await cluster.RestartAsync(node);

        // Each node is back from its snapshot plus the entries after it: its log starts right after the
        // snapshot (nothing before it was replayed or even loaded), and it holds the same store.
        statuses = await Poll.UntilAsync(() => cluster.StatusesAsync(),
            s => s.Count == 3 && s.All(n => n.SnapshotIndex > 0 && n.AppliedIndex >= lastIndex),
            TimeSpan.FromSeconds(20), "every node back and applied", Describe);
        Assert.All(statuses, s => Assert.Equal(s.SnapshotIndex + 1, s.FirstLogIndex));
        foreach (var node in cluster.Nodes) await AssertStoreAsync(cluster, node, expected, allowStale: true);

        var retry = Result(await cluster.ProposeAsync(sessioned));
        Assert.Equal(firstAnswer, retry);
    }

    [Fact]
    public async Task A_follower_that_missed_a_compacted_stretch_catches_up_by_InstallSnapshot_in_chunks()
    {
        // n3 never takes a snapshot of its own: any snapshot it holds came from a leader.
        const string follower = "n3";
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (_, silo) => silo.UseStateMachine(new KvNodeStateMachineFactory()),
            tune: settings => settings.NodeId == follower ? settings with { SnapshotThresholdEntries = 1_000_000 } : Tuned(settings));
        var expected = new Dictionary<string, string?>();
        var before = await WriteAsync(cluster, expected, 0, 10, cluster.Nodes);
        var lastBeforeKill = (await Poll.UntilAsync(() => cluster.StatusesAsync([follower]),
            s => s.Count == 1 && s[0].AppliedIndex >= before, TimeSpan.FromSeconds(10), $"{follower} to apply {before}", Describe))[0].LastLogIndex;

        // Cut the follower off before it dies, so that nothing the leader sends it from here on leaves the
        // sender. Without the cut, the appends the leader goes on sending a dead follower (its window of
        // appends in flight, then a probe with everything after the follower's log per heartbeat) are
        // one-way deliveries that can wait in Orleans for the follower's silo to come back; the restarted
        // node then rightly accepts them and catches up without a snapshot (CI saw it once).
        await cluster.SetFaultsAsync(t => t.WithIsolated(follower));
        await cluster.KillAndAwaitDeathAsync([follower], cluster.Nodes);
        var others = cluster.Nodes.Where(n => n != follower).ToArray();
        var lastIndex = await WriteAsync(cluster, expected, 10, 70, others);
        // The leader no longer holds the entries right after the follower's log: only a snapshot helps.
        await Poll.UntilAsync(() => cluster.StatusesAsync(others),
            s => s.Count == 2 && s.All(n => n.FirstLogIndex > lastBeforeKill + 1 && n.AppliedIndex >= lastIndex),
            TimeSpan.FromSeconds(20), $"{string.Join(",", others)} to compact past {lastBeforeKill}", Describe);

        await cluster.RestartAsync(follower);
        await cluster.SetFaultsAsync(_ => NetworkFaultTable.None);
        var caughtUp = (await Poll.UntilAsync(() => cluster.StatusesAsync([follower]),
            s => s.Count == 1 && s[0].AppliedIndex >= lastIndex, TimeSpan.FromSeconds(30), $"{follower} to catch up to {lastIndex}", Describe))[0];
        Assert.True(caughtUp.SnapshotIndex > lastBeforeKill,
            $"{follower} caught up to {caughtUp.AppliedIndex} holding a snapshot at {caughtUp.SnapshotIndex} (its log ended at {lastBeforeKill})");
        Assert.True(caughtUp.FirstLogIndex > lastBeforeKill + 1, $"{follower}'s log starts at {caughtUp.FirstLogIndex}");
        await AssertStoreAsync(cluster, follower, expected, allowStale: false);

        // It stays a working member: a new write reaches it through the log.
        expected["after"] = "install";
        var reply = await cluster.ProposeAsync(Command(new PutOperation("after", "install")));
        await Poll.UntilAsync(() => cluster.StatusesAsync([follower]), s => s.Count == 1 && s[0].AppliedIndex >= reply.Index,
            TimeSpan.FromSeconds(10), $"{follower} to apply {reply.Index}", Describe);
        await AssertStoreAsync(cluster, follower, expected, allowStale: true);
    }

    /// <summary>Puts, overwrites and deletes over a small key space (so the store's state is not just
    /// the last writes), recording what each key must hold; returns the index of the last write.</summary>
    private static async Task<long> WriteAsync(RaftTestCluster cluster, Dictionary<string, string?> expected, int from, int to,
        IReadOnlyCollection<string> nodes)
    {
        long last = 0;
        for (var i = from; i < to; i++)
        {
            var key = $"key{i % 23}";
            var delete = i % 7 == 6;
            var reply = await cluster.ProposeAsync(
                Command(delete ? new DeleteOperation(key) : new PutOperation(key, $"value{i}")), nodes);
            expected[key] = delete ? null : $"value{i}";
            last = reply.Index;
        }
        return last;
    }

    private static async Task AssertStoreAsync(RaftTestCluster cluster, string node, Dictionary<string, string?> expected, bool allowStale)
    {
        foreach (var (key, value) in expected)
        {
            var reply = await Poll.UntilAsync(() => cluster.Node(node).Read(Query(new GetOperation(key)), allowStale),
                r => r.Status == ClientReplyStatus.Applied, TimeSpan.FromSeconds(10), $"a read of {key} at {node}");
            var result = Result(reply);
            if (value is null) Assert.True(result.Status == KvStatus.NotFound, $"{node}: {key} should be deleted, holds {result.Entry?.Value}");
            else Assert.True(value == result.Entry?.Value, $"{node}: {key} should hold {value}, holds {result.Entry?.Value ?? result.Status.ToString()}");
        }
    }

    private static async Task<bool> RowExistsAsync(Orleans.Storage.IGrainStorage storage, string name, GrainId grainId)
    {
        var row = new StateHolder<StoredLogSegment>(new StoredLogSegment());
        await storage.ReadStateAsync(name, grainId, row);
        return row.RecordExists;
    }

    private static string Describe(IReadOnlyList<NodeStatus> statuses) =>
        ClusterViews.Describe(statuses) + " | " + string.Join("; ", statuses.Select(s => $"{s.Node} snapshot {s.SnapshotIndex} first {s.FirstLogIndex}"));
}
