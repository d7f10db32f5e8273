using System.Diagnostics;
using System.Globalization;
using RaftOrleans.Client;
using RaftOrleans.Contracts;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Bench;

/// <summary>
/// `raftctl bench write|read|failover|growth`: one workload against a real cluster, either one this run
/// starts (--up N: fresh data in a temporary folder, its own ports, stopped afterwards, Ctrl-C and failures
/// included) or the launcher's running cluster. Every run: a warm-up that is not counted, an idle period
/// over which each silo's CPU is sampled, the measured run (CPU sampled again), the nodes' status before
/// and after it (elections, entries per storage write). Figures on stdout, progress on stderr, and with
/// --json FILE one JSON object (<see cref="WorkloadRun"/>).
/// </summary>
public static class WorkloadCommand
{
    public static int Run(Workload workload, string[] args, TextWriter output, TextWriter error) =>
        BenchSession.WithStopSignal($"bench {Name(workload)}", error, cancellation => RunAsync(workload, args, output, error, cancellation));

    /// <param name="prebuiltSiloDll">See <see cref="ClusterLauncher"/> (the tests pass their own build).</param>
    /// <returns>0 measured, 1 nothing measured or a kill did not recover or the cluster failed, 2 usage, 130 interrupted.</returns>
    public static async Task<int> RunAsync(Workload workload, string[] args, TextWriter output, TextWriter error, CancellationToken cancellation, string? prebuiltSiloDll = null)
    {
        var command = $"bench {Name(workload)}";
        WorkloadSettings settings;
        string root;
        try
        {
            root = RepositoryRoot.Find();
            settings = WorkloadSettings.Parse(workload, new CommandArguments(args, WorkloadSettings.ValueOptions(workload), WorkloadSettings.Flags(workload)), root);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl {command}: {e.Message} (raftctl help shows the options)");
            return ExitCodes.Usage;
        }
        catch (LauncherException e)
        {
            await error.WriteLineAsync($"raftctl {command}: {e.Message}");
            return ExitCodes.Refused;
        }

        var directory = settings.ClusterDirectory ?? Directory.CreateTempSubdirectory("raftctl-bench-").FullName;
        try
        {
            var launcher = new ClusterLauncher(root, directory, error, prebuiltSiloDll);
            return await BenchSession.RunAsync(command, launcher, settings.Start, error,
                running => MeasureAsync(running, settings, output, error, cancellation), cancellation);
        }
        finally
        {
            if (settings.ClusterDirectory is null)
            {
                DeleteQuietly(directory);
            }
        }
    }

    private static async Task<bool> MeasureAsync(ClusterLauncher launcher, WorkloadSettings settings, TextWriter output, TextWriter progress, CancellationToken cancellation)
    {
        var name = settings.Name;
        var startedUtc = DateTime.UtcNow;
        var loadStart = ProcessFigures.LoadAverage();
        var state = launcher.State;
        var clock = Stopwatch.StartNew();
        WorkloadResult result;
        IReadOnlyDictionary<string, double?> cpuIdle = new Dictionary<string, double?>(), cpuLoad, rssStart, rssEnd;
        RunObservation observation;
        await using (var channel = new OrleansNodeChannel(state.Endpoints()))
        {
            var context = new WorkloadContext(launcher, channel, settings, clock, progress, cancellation);
            if (settings.Workload != Workload.Growth)
            {
                progress.WriteLine($"raftctl {Command(settings)}: warm-up, {settings.WarmUp.TotalSeconds:0.#} s (not counted)");
            }

            await Workloads.WarmUpAsync(context);
            if (settings.Idle > TimeSpan.Zero)
            {
                progress.WriteLine($"raftctl {Command(settings)}: {settings.Idle.TotalSeconds:0.#} s idle, sampling each silo's CPU");
                var idle = SiloCpu.Start(launcher.State);
                await Task.Delay(settings.Idle, cancellation);
                cpuIdle = idle.PercentOfCore();
            }

            progress.WriteLine($"raftctl {Command(settings)}: measuring");
            var before = await RunObservation.StatusesAsync(channel, cancellation);
            rssStart = SiloCpu.ResidentMiB(launcher.State);
            var cpu = SiloCpu.Start(launcher.State);
            result = await Workloads.RunAsync(context);
            cpuLoad = cpu.PercentOfCore();
            rssEnd = SiloCpu.ResidentMiB(launcher.State);
            observation = RunObservation.Of(before, await RunObservation.StatusesAsync(channel, cancellation));
        }

        state = launcher.State;
        var summary = result.Summary;
        var run = new WorkloadRun
        {
            Workload = name,
            StartedUtc = startedUtc,
            Nodes = state.Nodes.Count,
            Storage = state.StorageKind.Name(),
            OwnCluster = settings.Start is not null,
            Clients = settings.Clients,
            ValueBytes = settings.ValueBytes,
            ReadMode = settings.Workload == Workload.Read ? settings.Stale ? "stale" : "linearizable" : null,
            WarmUpSeconds = settings.Workload == Workload.Growth ? 0 : settings.WarmUp.TotalSeconds,
            IdleSeconds = settings.Idle.TotalSeconds,
            Seconds = Math.Round(summary.Seconds, 3),
            Operations = summary.Operations,
            Errors = summary.Errors,
            OpsPerSec = Math.Round(summary.OperationsPerSecond, 1),
            LatencyMs = LatencyFigures.Of(summary),
            FailoverMs = result.Kills.Select(kill => Rounded(Workloads.ToNextWriteMs(kill))).ToList(),
            LeaderElectedMs = result.Kills.Select(kill => Rounded(kill.LeaderElectedMs)).ToList(),
            WriteGapMs = result.Kills.Select(kill => Rounded(kill.GapMs)).ToList(),
            Elections = observation.Elections,
            TermBefore = observation.TermBefore,
            TermAfter = observation.TermAfter,
            LeaderBefore = observation.LeaderBefore,
            LeaderAfter = observation.LeaderAfter,
            EntriesPerWrite = observation.EntriesPerWrite,
            EntriesPerWriteFollowers = observation.EntriesPerWriteFollowers,
            LoadAverageStart = loadStart,
            LoadAverageEnd = ProcessFigures.LoadAverage(),
            CpuIdlePercent = cpuIdle,
            CpuLoadPercent = cpuLoad,
            RssMiBStart = rssStart,
            RssMiBEnd = rssEnd,
            Pids = state.Nodes.ToDictionary(node => node.Node, node => SiloProcess.IsRunning(state, node) ? node.Pid : 0),
            Steps = result.Steps,
            LastLogIndex = observation.LastLogIndexAfter,
        };

        WorkloadReport.Write(output, settings, run, result);
        if (settings.JsonFile is { } file)
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(file));
            if (folder is not null) Directory.CreateDirectory(folder);
            await File.WriteAllTextAsync(file, run.ToJson() + "\n", cancellation);
            await output.WriteLineAsync($"written: {file}");
        }

        var measured = summary.Operations > 0 && result.Complete;
        if (!measured)
        {
            await progress.WriteLineAsync($"raftctl {Command(settings)}: " + (summary.Operations == 0
                ? "no operation succeeded in the measured run"
                : settings.Workload == Workload.Growth ? "the log did not reach --entries (see the steps)" : "a kill saw no new leader, no successful write or no catch-up within its limit"));
        }

        return measured;
    }

    private static string Name(Workload workload) => workload.ToString().ToLowerInvariant();

    private static string Command(WorkloadSettings settings) => $"bench {settings.Name}";

    private static double? Rounded(double? value) => value is { } v && double.IsFinite(v) ? Math.Round(v, 1) : null;

    private static void DeleteQuietly(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A log still held by a silo that is dying; the temp folder goes with the OS's own cleanup.
        }
    }
}

/// <summary>What the workloads print on stdout.</summary>
public static class WorkloadReport
{
    public static void Write(TextWriter output, WorkloadSettings settings, WorkloadRun run, WorkloadResult result)
    {
        var what = settings.Workload switch
        {
            Workload.Read => $"{run.ReadMode} gets of {settings.ValueBytes}-byte values",
            Workload.Failover => $"puts of {settings.ValueBytes}-byte values through {settings.Kills} SIGKILL(s) of the leader",
            Workload.Growth => $"puts of {settings.ValueBytes}-byte values as the log grows to {settings.Entries:N0} entries",
            _ => $"puts of {settings.ValueBytes}-byte values",
        };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bench {run.Workload}: {run.Nodes} nodes, {run.Storage} ({(run.OwnCluster ? "started for this run" : "running cluster")}); {run.Clients} closed-loop clients, {what}; {run.Seconds:0.#} s measured"));
        BenchReport.WriteThroughputHeader(output);
        BenchReport.WriteThroughputRow(output, result.Summary);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"p99.9 {Figure(run.LatencyMs.P999)} ms"));
        if (result.Kills.Count > 0)
        {
            output.WriteLine();
            BenchReport.WriteFailoverHeader(output);
            foreach (var kill in result.Kills) BenchReport.WriteFailoverRow(output, kill);
            BenchReport.WriteFailoverSummary(output, result.Kills);
            output.WriteLine("kill -9 to the next successful write, ms: " + string.Join(" ", run.FailoverMs.Select(Figure)));
        }

        if (result.Steps is { } steps)
        {
            output.WriteLine();
            output.WriteLine($"{"entries",21} {"ops/s",9} {"p50 ms",8} {"p99 ms",8} {"max ms",8}");
            foreach (var step in steps)
            {
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{$"{step.FromEntries:N0}-{step.ToEntries:N0}",21} {step.OpsPerSec,9:0} {Figure(step.LatencyMs.P50),8} {Figure(step.LatencyMs.P99),8} {Figure(step.LatencyMs.Max),8}"));
            }
        }

        output.WriteLine();
        output.WriteLine($"elections during the run: {(run.Elections is { } elections ? elections.ToString(CultureInfo.InvariantCulture) : "-")} " +
                         $"(term {run.TermBefore?.ToString(CultureInfo.InvariantCulture) ?? "-"} -> {run.TermAfter?.ToString(CultureInfo.InvariantCulture) ?? "-"}, leader {run.LeaderBefore ?? "-"} -> {run.LeaderAfter ?? "-"})");
        output.WriteLine($"entries per storage write: leader {Figure(run.EntriesPerWrite)}, followers {Figure(run.EntriesPerWriteFollowers)}");
        output.WriteLine($"load average (1 min): {Figure(run.LoadAverageStart?[0])} at the start, {Figure(run.LoadAverageEnd?[0])} at the end");
        output.WriteLine();
        var nodes = run.Pids.Keys.ToList();
        NodeFiguresTable.Write(output, NodeFiguresTable.CpuTitle, nodes, [("idle", run.CpuIdlePercent), ("run", run.CpuLoadPercent)]);
        NodeFiguresTable.Write(output, "resident memory of each silo process, MiB", nodes, [("run start", run.RssMiBStart), ("run end", run.RssMiBEnd)]);
    }

    private static string Figure(double? value) => value is { } v && double.IsFinite(v) ? v.ToString(v >= 100 ? "0" : "0.0#", CultureInfo.InvariantCulture) : "-";
}
