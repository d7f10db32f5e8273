using System.Diagnostics;
using Microsoft.Data.Sqlite;
using RaftOrleans.Grains;
using RaftOrleans.KeyValue;
using Xunit.Abstractions;
using static RaftOrleans.Cluster.Tests.KeyValueTests;

namespace RaftOrleans.Cluster.Tests;

/// <summary>What snapshots save on SQLite: rows and bytes kept in the database, and the time from a silo
/// restart until the node has applied everything again, with and without snapshots. A benchmark, not a
/// test: `RAFT_BENCH=1 dotnet test tests/RaftOrleans.Cluster.Tests --filter SnapshotBenchmark --logger "console;verbosity=detailed"`.</summary>
public sealed class SnapshotBenchmark(ITestOutputHelper output)
{
    public sealed class BenchFactAttribute : FactAttribute
    {
        public BenchFactAttribute()
        {
            if (Environment.GetEnvironmentVariable("RAFT_BENCH") != "1") Skip = "benchmark: set RAFT_BENCH=1 to run it";
        }
    }

    [BenchFact]
    public async Task Restart_time_and_stored_rows_with_and_without_snapshots()
    {
        const int writes = 6_000;
        const int writers = 32;
        foreach (var (label, threshold) in new[] { ("no snapshots", 1_000_000L), ("snapshot every 1000", 1_000L) })
        {
            await using var cluster = await RaftTestCluster.StartAsync(1,
                configure: (_, silo) => silo.UseKeyValueStateMachine(),
                tune: settings => settings with { SnapshotThresholdEntries = threshold, SnapshotTrailingEntries = 100 });
            var node = cluster.Node("n1");
            await cluster.LeaderAsync();
            var next = 0;
            var indexes = new System.Collections.Concurrent.ConcurrentBag<long>();
            await Task.WhenAll(Enumerable.Range(0, writers).Select(async _ =>
            {
                for (var i = Interlocked.Increment(ref next); i <= writes; i = Interlocked.Increment(ref next))
                {
                    var reply = await node.Propose(Command(new PutOperation($"key{i % 2000}", $"value-{i}-{new string('x', 40)}")));
                    Assert.Equal(RaftOrleans.Contracts.ProposeStatus.Applied, reply.Status);
                    indexes.Add(reply.Index);
                }
            }));
            var last = indexes.Max();
            var before = await Poll.UntilAsync(() => node.GetStatus(), s => s.AppliedIndex >= last, TimeSpan.FromSeconds(30), "the writes to apply");
            // Deletion runs in the background: wait until only the segments after the snapshot are left.
            var segmentEntries = cluster.Settings("n1").LogSegmentEntries;
            await Poll.UntilAsync(() => RowsAsync(cluster),
                rows => before.SnapshotIndex == 0 || rows.Segments * segmentEntries <= last - before.SnapshotIndex + segmentEntries,
                TimeSpan.FromSeconds(30), "compacted segments to be deleted");
            var (rows, segments, bytes) = await RowsAsync(cluster);

            await cluster.KillAsync("n1");
            var clock = Stopwatch.StartNew();
            await cluster.RestartAsync("n1");
            var after = await Poll.UntilAsync(() => cluster.Node("n1").GetStatus(), s => s.AppliedIndex >= last,
                TimeSpan.FromSeconds(60), "the restarted node to apply everything again");
            output.WriteLine($"{label,-20}: {last} entries, snapshot at {before.SnapshotIndex}; database {rows} rows " +
                             $"({segments} log segments), {bytes / 1024} KiB; restart to applied {clock.ElapsedMilliseconds} ms " +
                             $"(log from {after.FirstLogIndex})");
        }
    }

    private static async Task<(long Rows, long Segments, long Bytes)> RowsAsync(RaftTestCluster cluster)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(cluster.DataDirectory, "n1.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*), sum(GrainTypeString LIKE 'raft-log-%'), sum(length(PayloadBinary)) FROM OrleansStorage";
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}
