using System.Collections.Concurrent;
using System.Diagnostics;
using RaftOrleans.Contracts;
using Xunit.Abstractions;

namespace RaftOrleans.Cluster.Tests;

/// <summary>Throughput and latency of proposals through the grains on SQLite (in-process cluster).
/// A benchmark, not a test: it runs only with RAFT_BENCH=1 and prints figures
/// (`RAFT_BENCH=1 dotnet test tests/RaftOrleans.Cluster.Tests --filter ProposeBenchmark --logger "console;verbosity=detailed"`).</summary>
public sealed class ProposeBenchmark(ITestOutputHelper output)
{
    public sealed class BenchFactAttribute : FactAttribute
    {
        public BenchFactAttribute()
        {
            if (Environment.GetEnvironmentVariable("RAFT_BENCH") != "1") Skip = "benchmark: set RAFT_BENCH=1 to run it";
        }
    }

    [BenchFact]
    public async Task Proposals_per_second_with_concurrent_clients()
    {
        foreach (var clients in new[] { 1, 16, 64 })
        {
            var storages = new ConcurrentDictionary<string, TestGrainStorage>();
            await using var cluster = await RaftTestCluster.StartAsync(3,
                configure: (node, silo) => TestGrainStorage.Install(silo, storage => storages[node] = storage));
            var leader = await cluster.LeaderAsync();
            var grain = cluster.Node(leader);
            for (var i = 0; i < 20; i++) await grain.Propose(new byte[100]); // warm up
            while (storages[leader].Writes.TryDequeue(out _)) { }

            var latenciesMs = new ConcurrentBag<double>();
            var outcomes = new ConcurrentDictionary<ProposeStatus, int>();
            var duration = TimeSpan.FromSeconds(3);
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
            {
                var payload = new byte[100];
                while (clock.Elapsed < duration)
                {
                    var started = Stopwatch.GetTimestamp();
                    var reply = await grain.Propose(payload);
                    latenciesMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    outcomes.AddOrUpdate(reply.Status, 1, (_, n) => n + 1);
                }
            }));
            var elapsed = clock.Elapsed.TotalSeconds;
            var sorted = latenciesMs.Order().ToArray();
            var applied = outcomes.GetValueOrDefault(ProposeStatus.Applied);
            var writes = storages[leader].Writes.Count(w => w.StateName == "raft-node");
            output.WriteLine($"{clients,3} clients: {applied / elapsed,7:0} applied/s, p50 {sorted[sorted.Length / 2]:0.0} ms, " +
                             $"p99 {sorted[(int)(sorted.Length * 0.99)]:0.0} ms, leader node-row writes per applied {(double)writes / Math.Max(1, applied):0.00}, " +
                             $"outcomes {string.Join(" ", outcomes.Select(o => $"{o.Key}={o.Value}"))}");
        }
    }
}
