using System.Diagnostics;
using RaftOrleans.Cli.Bench;
using RaftOrleans.Simulation;

namespace RaftOrleans.Cli.Commands;

/// <summary>`raftctl bench core`: the pure core's throughput and CPU cost per committed entry;
/// `raftctl bench cluster`: a real cluster's throughput, latency and failover (<see cref="BenchClusterCommand"/>);
/// `raftctl bench write|read|failover|growth`: one workload each (<see cref="WorkloadCommand"/>).</summary>
public static class BenchCommand
{
    public const string Usage = "raftctl bench core [--entries N] [--batch N] [--bytes N]";

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (args is ["cluster", .. var rest]) return BenchClusterCommand.Run(rest, output, error);
        if (args is [var name, .. var workloadArgs] && WorkloadSettings.Names.TryGetValue(name, out var workload))
        {
            return WorkloadCommand.Run(workload, workloadArgs, output, error);
        }

        if (args.Length == 0 || args[0] != "core" && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            throw new UsageException((args.Length == 0 ? "which benchmark? " : $"unknown benchmark '{args[0]}': ") +
                                     $"choose core, cluster, {string.Join(", ", WorkloadSettings.Names.Keys)} (raftctl help shows their options)");
        }

        var options = new CommandArguments(args, new HashSet<string> { "--entries", "--batch", "--bytes" }, new HashSet<string>());
        if (options.Positional is not ["core"]) throw new UsageException($"usage: {Usage}");
        var batch = options.Int("--batch", 100, 1, 100_000);
        var entries = options.Int("--entries", 2_000_000, batch, int.MaxValue);
        var bytes = options.Int("--bytes", 100, 0, 1 << 20);

        // Warm up the JIT on a separate cluster so the measured run is steady state.
        new CoreBenchmark(3, bytes).Run(200, batch);

        var bench = new CoreBenchmark(3, bytes);
        var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var committed = bench.Run(entries / batch, batch);
        wall.Stop();
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        output.WriteLine($"core benchmark: 3 nodes in memory, no faults, batches of {batch} proposals of {bytes} bytes");
        output.WriteLine($"committed entries:          {committed:N0}");
        output.WriteLine($"wall time:                  {wall.Elapsed.TotalSeconds:F2} s");
        output.WriteLine($"throughput:                 {committed / wall.Elapsed.TotalSeconds:N0} entries/s");
        output.WriteLine($"CPU per committed entry:    {cpu.TotalMilliseconds * 1000 / committed:F3} us (all 3 nodes, incl. GC)");
        output.WriteLine($"storage writes per entry:   {(double)bench.StorageWrites / committed:F4} (one write per Ready)");
        return ExitCodes.Done;
    }
}
