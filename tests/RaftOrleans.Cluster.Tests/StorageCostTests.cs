using System.Collections.Concurrent;
using Microsoft.Data.Sqlite;
using RaftOrleans.Contracts;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

public sealed class StorageCostTests
{
    /// <summary>An append rewrites the node row (hard state + open tail, fewer than a segment's entries)
    /// and, once per segment, inserts one sealed segment row: what one append writes must not grow
    /// with the length of the log.</summary>
    [Fact]
    public async Task The_bytes_and_rows_written_per_append_do_not_grow_with_the_log()
    {
        const int segmentEntries = 8;
        const int appends = 120;
        var storages = new ConcurrentDictionary<string, TestGrainStorage>();
        await using var cluster = await RaftTestCluster.StartAsync(1,
            configure: (node, silo) => TestGrainStorage.Install(silo, storage => storages[node] = storage),
            tune: settings => settings with { LogSegmentEntries = segmentEntries });
        await cluster.LeaderAsync();
        var storage = storages["n1"];

        var perAppend = new List<(long Index, int NodeRowWrites, int SegmentWrites, int MaxNodeRowBytes)>();
        var payload = new byte[100];
        for (var i = 0; i < appends; i++)
        {
            while (storage.Writes.TryDequeue(out _)) { }
            var reply = await cluster.Node("n1").Propose(payload);
            Assert.Equal(ClientReplyStatus.Applied, reply.Status);
            var writes = storage.Writes.ToArray();
            var nodeRows = writes.Where(w => w.StateName == "raft-node").ToArray();
            perAppend.Add((reply.Index, nodeRows.Length, writes.Length - nodeRows.Length, nodeRows.Max(w => w.Bytes)));
        }

        // Rows written per append: the node row (once for the entry, once more when its commit is
        // recorded) and at most one segment.
        Assert.All(perAppend, a => Assert.InRange(a.NodeRowWrites, 1, 3));
        Assert.All(perAppend, a => Assert.InRange(a.SegmentWrites, 0, 1));
        // Bytes: the largest node row written late in the log is no larger than one written early on.
        var earlyMax = perAppend.Where(a => a.Index <= 3 * segmentEntries).Max(a => a.MaxNodeRowBytes);
        var lateMax = perAppend.Where(a => a.Index > appends - 3 * segmentEntries).Max(a => a.MaxNodeRowBytes);
        // Slack: indexes are varint-encoded, so each entry's index may take one byte more later on.
        Assert.True(lateMax <= earlyMax + 2 * segmentEntries + 16, $"node row grew from {earlyMax} to {lateMax} bytes");
        Assert.True(earlyMax < (segmentEntries + 2) * (payload.Length + 32),
            $"node row of {earlyMax} bytes holds more than one segment's worth of entries");

        // Rows in the database: one node row plus one row per sealed segment.
        var lastIndex = perAppend[^1].Index;
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(cluster.DataDirectory, "n1.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM OrleansStorage";
        var rows = Convert.ToInt64(await command.ExecuteScalarAsync());
        Assert.Equal(1 + lastIndex / segmentEntries, rows);
        // Rows hold the Orleans binary form, not the provider's default JSON (which base64s the bytes).
        command.CommandText = "SELECT PayloadBinary FROM OrleansStorage WHERE GrainTypeString = 'raft-node'";
        var nodeRow = (byte[])(await command.ExecuteScalarAsync())!;
        Assert.NotEqual((byte)'{', nodeRow[0]);
        Assert.True(nodeRow.Length < earlyMax + 64, $"stored node row is {nodeRow.Length} bytes");
        // Every segment was sealed by one of the appends (the leader's no-op alone cannot fill one).
        Assert.Equal(lastIndex / segmentEntries, perAppend.Sum(a => a.SegmentWrites));
    }
}
