using RaftOrleans.Simulation;
using Xunit.Abstractions;

namespace RaftOrleans.Raft.Tests;

/// <summary>Tier 3: many seeded random runs with every fault on, the checkers after every step and a
/// liveness phase at the end. RAFT_SIM_SEEDS=N runs N seeds (default 2,000).</summary>
public sealed class SimulationTests(ITestOutputHelper output)
{
    private const int DefaultSeeds = 2000;
    private const int TicksPerSeed = 2000;

    [Fact]
    public void Random_runs_under_every_fault_keep_every_safety_property_and_recover()
    {
        var seeds = int.TryParse(Environment.GetEnvironmentVariable("RAFT_SIM_SEEDS"), out var n) && n > 0 ? n : DefaultSeeds;
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        long committed = 0;
        Parallel.For(0, seeds, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, seed =>
        {
            var nodes = 3 + seed % 5; // 3 to 7 nodes
            var result = RandomRun.Execute(RandomRunOptions.Chaos(seed, nodes, TicksPerSeed));
            Interlocked.Add(ref committed, result.Committed);
            if (!result.Passed) failures.Add(result.Verdict + $" (reproduce: ./raftctl sim --chaos --nodes {nodes} --seed {seed} --ticks {TicksPerSeed})");
        });
        output.WriteLine($"{seeds} seeds x {TicksPerSeed} ticks, 3-7 nodes: {committed} entries committed in all, {failures.Count} failures");
        Assert.True(failures.IsEmpty, string.Join(Environment.NewLine, failures.OrderBy(f => f).Take(20)));
    }

    [Fact]
    public void Same_seed_gives_the_same_run_byte_for_byte()
    {
        var options = RandomRunOptions.Chaos(seed: 7, nodes: 5, ticks: 1500);
        var first = RandomRun.Render(options, RandomRun.Execute(options));
        var second = RandomRun.Render(options, RandomRun.Execute(options));
        Assert.Equal(first, second);
        Assert.Contains("elected leader", first);
    }
}
