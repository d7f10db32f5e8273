using System.Diagnostics;
using System.Globalization;
using RaftOrleans.Client;
using RaftOrleans.Contracts;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Bench;

/// <summary>
/// `raftctl bench cluster`: throughput, latency and failover time of a real cluster of silo processes,
/// measured through the client library as an application would see them. Starts its own cluster on fresh
/// data (or uses a running one with --existing) and stops what it started on exit, Ctrl-C included.
/// Prints the tables and writes CSV files and SVG plots into --out.
/// </summary>
public static class BenchClusterCommand
{
    public const string Usage = """
        raftctl bench cluster [--nodes 1..7] [--storage sqlite|postgres] [--postgres CONNECTION] [--base-port P]
                                [--existing] [--cluster-dir DIR] [--out DIR] [--seconds S] [--clients 1,4,16,64]
                                [--value-bytes N] [--read-clients C] [--failover-rounds N] [--failover-clients C]
                                [--idle-seconds S] [--warmup S] [--breakdown]
        """;

    public static int Run(string[] args, TextWriter output, TextWriter error) =>
        BenchSession.WithStopSignal("bench", error, cancellation => RunAsync(args, output, error, cancellation));

    /// <param name="prebuiltSiloDll">See <see cref="ClusterLauncher"/> (the tests pass their own build).</param>
    /// <returns>0 measured, 1 a phase measured nothing or a failover did not recover, 2 usage, 130 interrupted.</returns>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation, string? prebuiltSiloDll = null)
    {
        var root = RepositoryRoot.Find();
        BenchClusterSettings settings;
        try
        {
            settings = BenchClusterSettings.Parse(new CommandArguments(args, BenchClusterSettings.ValueOptions, BenchClusterSettings.Flags), root);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl bench cluster: {e.Message}");
            await error.WriteLineAsync($"usage: {Usage}");
            return ExitCodes.Usage;
        }

        // Progress goes to stderr, so stdout holds only the tables.
        var launcher = new ClusterLauncher(root, settings.ClusterDirectory, error, prebuiltSiloDll);
        return await BenchSession.RunAsync("bench cluster", launcher, settings.UseExisting ? null : settings.Cluster, error,
            running => MeasureAsync(running, settings, output, error, cancellation), cancellation);
    }

    private static async Task<bool> MeasureAsync(ClusterLauncher launcher, BenchClusterSettings settings, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var state = launcher.State;
        var caption = $"{state.Nodes.Count} nodes, {state.StorageKind.Name()}";
        var runId = Guid.NewGuid().ToString("N")[..8];
        var value = new string('v', settings.ValueBytes);
        var clock = Stopwatch.StartNew();
        var writes = new List<LatencySummary>();
        LatencySummary? reads = null;
        var cpu = new List<(string, IReadOnlyDictionary<string, double?>)>();
        await using (var channel = new OrleansNodeChannel(state.Endpoints()))
        {
            var clients = new ClosedLoopClients(channel, FailoverRound.WriterOptions, clock);
            await output.WriteLineAsync($"bench cluster: {caption}; closed-loop clients, {settings.PhaseDuration.TotalSeconds:0.#} s per level, " +
                                        $"puts of {settings.ValueBytes}-byte values, latency per operation as the client saw it");
            if (settings.WarmUp > TimeSpan.Zero)
            {
                var level = settings.ClientLevels[^1];
                error.WriteLine($"raftctl bench: warm-up, {settings.WarmUp.TotalSeconds:0.#} s of writes at {level} clients (not counted)");
                await RunPhaseAsync(clients, level, settings.WarmUp, (client, index, n) => client.PutAsync(Key(runId + "-warm", index, n), value), cancellation);
            }
            if (settings.IdleDuration > TimeSpan.Zero)
            {
                error.WriteLine($"raftctl bench: {settings.IdleDuration.TotalSeconds:0.#} s idle, sampling each silo's CPU");
                var idle = SiloCpu.Start(launcher.State);
                await Task.Delay(settings.IdleDuration, cancellation);
                cpu.Add(("idle", idle.PercentOfCore()));
            }

            BenchReport.WriteThroughputHeader(output);
            var breakdowns = new StringWriter();
            // Terms before and after the measured levels: an election during them is a leader the load
            // (or the machine) cost, and the issue's bar is none at 64 clients.
            var beforeLevels = await RunObservation.StatusesAsync(channel, cancellation);
            foreach (var level in settings.ClientLevels)
            {
                var before = settings.Breakdown ? await RunObservation.StatusesAsync(channel, cancellation) : [];
                var levelCpu = SiloCpu.Start(launcher.State);
                var samples = await RunPhaseAsync(clients, level, settings.PhaseDuration,
                    (client, index, n) => client.PutAsync(Key(runId, index, n), value), cancellation);
                cpu.Add(($"write {level}", levelCpu.PercentOfCore()));
                writes.Add(LatencySummary.OfSamples("write", level, samples));
                BenchReport.WriteThroughputRow(output, writes[^1]);
                if (settings.Breakdown)
                {
                    await breakdowns.WriteLineAsync();
                    BreakdownReport.Write(breakdowns, writes[^1], before, await RunObservation.StatusesAsync(channel, cancellation));
                }
            }

            if (settings.ReadClients > 0)
            {
                // Reads of keys the first level wrote; a linearizable get is a ReadIndex round on the leader.
                var readCpu = SiloCpu.Start(launcher.State);
                var samples = await RunPhaseAsync(clients, settings.ReadClients, settings.PhaseDuration,
                    (client, _, n) => client.GetAsync(Key(runId, 0, n)), cancellation);
                cpu.Add(($"read {settings.ReadClients}", readCpu.PercentOfCore()));
                reads = LatencySummary.OfSamples("read", settings.ReadClients, samples);
                BenchReport.WriteThroughputRow(output, reads);
            }

            var levels = RunObservation.Of(beforeLevels, await RunObservation.StatusesAsync(channel, cancellation));
            await output.WriteLineAsync();
            await output.WriteLineAsync($"elections during the levels: {levels.Elections?.ToString(CultureInfo.InvariantCulture) ?? "-"} " +
                                        $"(term {levels.TermBefore?.ToString(CultureInfo.InvariantCulture) ?? "-"} -> {levels.TermAfter?.ToString(CultureInfo.InvariantCulture) ?? "-"}, " +
                                        $"leader {levels.LeaderBefore ?? "-"} -> {levels.LeaderAfter ?? "-"})");
            await output.WriteLineAsync();
            NodeFiguresTable.Write(output, NodeFiguresTable.CpuTitle, state.Nodes.Select(node => node.Node).ToList(), cpu);
            await output.WriteAsync(breakdowns.ToString());
        }

        var rounds = new List<FailoverResult>();
        if (settings.FailoverRounds > 0)
        {
            await output.WriteLineAsync();
            await output.WriteLineAsync($"failover: {settings.FailoverClients} writers; SIGKILL of the leader; elected = until the survivors agree on a new leader; " +
                                        "write gap = no write succeeded; then the node restarts and catches up");
            BenchReport.WriteFailoverHeader(output);
            var round = new FailoverRound(launcher, settings.FailoverClients, settings.ValueBytes, clock, error, cancellation);
            for (var number = 1; number <= settings.FailoverRounds; number++)
            {
                rounds.Add(await round.RunAsync(number, runId));
                BenchReport.WriteFailoverRow(output, rounds[^1]);
            }

            BenchReport.WriteFailoverSummary(output, rounds);
        }

        var files = BenchReport.Save(settings.OutputDirectory, caption, writes, reads, rounds);
        await output.WriteLineAsync();
        await output.WriteLineAsync($"written: {string.Join(", ", files)}");
        var measuredAll = writes.All(phase => phase.Operations > 0) && (reads is null || reads.Operations > 0);
        var recoveredAll = rounds.All(r => r.LeaderElectedMs is not null && r.GapMs is not null && r.CatchUpSeconds is not null);
        if (!measuredAll || !recoveredAll)
        {
            await error.WriteLineAsync("raftctl bench cluster: a phase had no successful operation or a failover did not recover (see the tables)");
        }

        return measuredAll && recoveredAll;
    }

    /// <summary>Each client writes its own 64 keys in turn, so the store stays small however long the run.</summary>
    private static string Key(string runId, int clientIndex, long n) => $"bench-{runId}/c{clientIndex}/k{n % 64}";

    private static async Task<IReadOnlyList<WriteSample>> RunPhaseAsync(ClosedLoopClients clients, int level, TimeSpan duration,
        ClosedLoopClients.Operation operation, CancellationToken cancellation)
    {
        var samples = await clients.RunAsync(level, operation, duration, cancellation);
        cancellation.ThrowIfCancellationRequested();
        return samples;
    }
}
