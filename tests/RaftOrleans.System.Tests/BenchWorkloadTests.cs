using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RaftOrleans.Cli.Bench;
using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

/// <summary>`raftctl bench write|read|failover|growth --up 3` end to end, each on a cluster of its own with
/// its own ports and runs of a second or two: it measures, writes a JSON object with the documented fields
/// and sane values, and leaves no silo running. The figures themselves are not judged (timing goals belong
/// to the benchmark's output, not to a test).</summary>
[Collection(RealProcesses.Name)]
public sealed class BenchWorkloadTests : IDisposable
{
    // 24500-24614: one range of 20 ports (silo P..P+4, gateway P+10..P+14) per test.
    private const int WriteBasePort = 24500, ReadBasePort = 24540, FailoverBasePort = 24580, GrowthBasePort = 24620, InterruptBasePort = 24660, RunningBasePort = 24700; // 40 apart: a cluster takes 27 ports

    private static readonly string[] Short = ["--warmup", "0.5", "--idle-seconds", "0.5"];
    private readonly string _directory = Directory.CreateTempSubdirectory("raftorleans-bench-workloads-").FullName;

    private string JsonFile => Path.Combine(_directory, "run.json");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Write_measures_and_writes_its_json()
    {
        var run = await RunAsync(Workload.Write, ["--up", "3", "--base-port", Port(WriteBasePort), "--seconds", "1.5", "--clients", "4", "--value-bytes", "64", .. Short]);

        Assert.Equal("write", run.GetProperty("workload").GetString());
        Assert.Equal(4, run.GetProperty("clients").GetInt32());
        Assert.Equal(64, run.GetProperty("valueBytes").GetInt32());
        Assert.True(run.GetProperty("ownCluster").GetBoolean());
        Assert.Empty(run.GetProperty("failoverMs").EnumerateArray());
        Assert.True(run.GetProperty("entriesPerWrite").GetDouble() >= 1, "a storage write holds at least one entry");
        Assert.True(run.GetProperty("elections").GetInt64() >= 0);
    }

    [Fact]
    public async Task Read_measures_linearizable_gets()
    {
        var run = await RunAsync(Workload.Read, ["--up", "3", "--base-port", Port(ReadBasePort), "--seconds", "1.5", "--clients", "4", .. Short]);

        Assert.Equal("read", run.GetProperty("workload").GetString());
        Assert.Equal("linearizable", run.GetProperty("readMode").GetString());
        Assert.Empty(run.GetProperty("failoverMs").EnumerateArray());
    }

    [Fact]
    public async Task Failover_gives_one_figure_per_kill()
    {
        var run = await RunAsync(Workload.Failover, ["--up", "3", "--base-port", Port(FailoverBasePort), "--kills", "2", "--clients", "2", .. Short]);

        var failover = run.GetProperty("failoverMs").EnumerateArray().Select(ms => ms.GetDouble()).ToList();
        Assert.Equal(2, failover.Count);
        Assert.All(failover, ms => Assert.True(ms > 0, $"failoverMs {ms}"));
        Assert.Equal(2, run.GetProperty("leaderElectedMs").GetArrayLength());
        Assert.True(run.GetProperty("elections").GetInt64() >= 2, "each kill of the leader needs an election");
    }

    [Fact]
    public async Task Growth_reports_each_step_up_to_the_entries_asked_for()
    {
        var run = await RunAsync(Workload.Growth, ["--up", "3", "--base-port", Port(GrowthBasePort), "--from", "100", "--entries", "400", "--clients", "16", .. Short]);

        var steps = run.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal([200L, 400L], steps.Select(step => step.GetProperty("toEntries").GetInt64()));
        Assert.True(steps[0].GetProperty("fromEntries").GetInt64() >= 100, "the warm-up fills the log to --from");
        Assert.Equal(200, steps[1].GetProperty("fromEntries").GetInt64());
        Assert.All(steps, step =>
        {
            Assert.True(step.GetProperty("opsPerSec").GetDouble() > 0);
            AssertOrdered(step.GetProperty("latencyMs"));
        });
        Assert.True(run.GetProperty("lastLogIndex").GetInt64() >= 400);
    }

    [Fact]
    public async Task Without_up_it_measures_the_running_cluster_and_leaves_it_running()
    {
        var clusterDirectory = Path.Combine(_directory, "running");
        var launcher = new ClusterLauncher(RepositoryRoot.Find(), clusterDirectory, TextWriter.Null, TestSilo.Dll);
        try
        {
            launcher.Up(new UpOptions { Nodes = 3, BasePort = RunningBasePort, Fresh = true });
            await launcher.WaitForLeaderAsync(TestCluster.StartLimit);
            var pids = launcher.State.Nodes.Select(node => node.Pid).ToList();

            var run = await RunAsync(Workload.Read, ["--cluster-dir", clusterDirectory, "--stale", "--seconds", "1", "--clients", "4", .. Short], leavesRunning: true);

            Assert.False(run.GetProperty("ownCluster").GetBoolean());
            Assert.Equal("stale", run.GetProperty("readMode").GetString());
            Assert.Equal(pids.Order(), run.GetProperty("pids").EnumerateObject().Select(node => node.Value.GetInt32()).Order());
            Assert.All(pids, pid => Assert.True(PosixSignals.IsAlive(pid), $"pid {pid} stopped by a run that did not start it"));
        }
        finally
        {
            launcher.Down();
        }
    }

    [Fact]
    public async Task An_interrupted_run_stops_the_cluster_it_started()
    {
        var clusterDirectory = Path.Combine(_directory, "cluster");
        var error = new StringWriter();
        var progress = TextWriter.Synchronized(error);
        using var interrupt = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var running = WorkloadCommand.RunAsync(Workload.Write,
            ["--up", "3", "--base-port", Port(InterruptBasePort), "--cluster-dir", clusterDirectory, "--seconds", "600", "--clients", "2", .. Short],
            TextWriter.Null, progress, interrupt.Token, TestSilo.Dll);

        var clock = Stopwatch.StartNew();
        while (!error.ToString().Contains("measuring", StringComparison.Ordinal) && !running.IsCompleted && clock.Elapsed < TimeSpan.FromMinutes(3))
        {
            await Task.Delay(100);
        }

        Assert.False(running.IsCompleted, $"the run ended before it measured: {error}");
        Assert.True(error.ToString().Contains("measuring", StringComparison.Ordinal), $"the run did not start measuring within 3 minutes: {error}");
        var pids = ClusterState.Load(clusterDirectory).Nodes.Select(node => node.Pid).ToList();
        Assert.All(pids, pid => Assert.True(PosixSignals.IsAlive(pid), $"pid {pid} not running while measuring"));
        await interrupt.CancelAsync(); // what Ctrl-C does

        // Bounded: a run that ignores its interrupt must fail this test, not hang the suite (a busy-looping
        // silo once kept it waiting until CI's limit).
        var leftRunning = new List<int>();
        try
        {
            var ended = await Task.WhenAny(running, Task.Delay(TimeSpan.FromMinutes(2)));
            Assert.True(ended == running, $"the run went on for 2 minutes after its interrupt: {error}");
            Assert.True(await running == 130, $"exit code {await running} after the interrupt: {error}");
        }
        finally
        {
            leftRunning = pids.Where(PosixSignals.IsAlive).ToList();
            foreach (var pid in leftRunning) PosixSignals.Send(pid, PosixSignals.Kill); // never leave silos behind
        }
        Assert.True(leftRunning.Count == 0, $"silo pids {string.Join(", ", leftRunning)} still running after the interrupt");
    }

    [Theory]
    [InlineData("nope")]
    [InlineData("write --clients 0")]
    [InlineData("write --seconds ten")]
    [InlineData("growth --entries 100 --from 500")]
    [InlineData("failover --kills 2 --storage postgres")]
    [InlineData("read --lease")]
    [InlineData("write --up 3 --storage postgres")]
    [InlineData("read --clients 3 --kills 2")]
    public async Task A_bad_command_line_gives_one_line_and_the_usage_exit_code(string arguments)
    {
        var start = new ProcessStartInfo(DotnetHost.Path) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(TestRaftctl.Dll);
        start.ArgumentList.Add("bench");
        foreach (var word in arguments.Split(' ')) start.ArgumentList.Add(word);
        start.Environment["RAFTORLEANS_ROOT"] = RepositoryRoot.Find();
        start.Environment.Remove("RAFTCTL_POSTGRES"); // so that --storage postgres has no connection
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(limit.Token);

        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(process.ExitCode == 2, $"exit {process.ExitCode}: {await stderr}");
        Assert.True(lines.Length == 1, $"expected one line, got: {await stderr}");
        Assert.StartsWith("raftctl", lines[0]);
        Assert.Equal("", await stdout);
    }

    /// <summary>Runs the workload to the end, checks what every workload's JSON must hold, and that no silo
    /// it started is left; returns the JSON object for the workload's own checks.</summary>
    private async Task<JsonElement> RunAsync(Workload workload, string[] arguments, bool leavesRunning = false)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        var exit = await WorkloadCommand.RunAsync(workload, [.. arguments, "--json", JsonFile], output, TextWriter.Synchronized(error), limit.Token, TestSilo.Dll);
        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");

        var text = await File.ReadAllTextAsync(JsonFile);
        Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var run = JsonDocument.Parse(text).RootElement.Clone();

        var pids = run.GetProperty("pids").EnumerateObject().ToDictionary(node => node.Name, node => node.Value.GetInt32());
        Assert.Equal(["n1", "n2", "n3"], pids.Keys.Order());
        if (!leavesRunning)
        {
            Assert.All(pids, pid => Assert.True(pid.Value > 0 && !PosixSignals.IsAlive(pid.Value), $"{pid.Key} (pid {pid.Value}) still running"));
        }


        Assert.Equal(3, run.GetProperty("nodes").GetInt32());
        Assert.Equal("sqlite", run.GetProperty("storage").GetString());
        Assert.True(run.GetProperty("operations").GetInt64() > 0);
        Assert.True(run.GetProperty("opsPerSec").GetDouble() > 0);
        AssertOrdered(run.GetProperty("latencyMs"));
        Assert.True(run.GetProperty("elections").ValueKind == JsonValueKind.Number);
        Assert.Equal(3, run.GetProperty("loadAverageStart").GetArrayLength());
        Assert.Equal(3, run.GetProperty("loadAverageEnd").GetArrayLength());
        foreach (var figure in new[] { "cpuIdlePercent", "cpuLoadPercent", "rssMiBEnd" })
        {
            var perNode = run.GetProperty(figure).EnumerateObject().ToList();
            Assert.Equal(["n1", "n2", "n3"], perNode.Select(node => node.Name).Order());
            Assert.All(perNode, node => Assert.True(node.Value.ValueKind != JsonValueKind.Number || node.Value.GetDouble() >= 0, $"{figure} {node.Name}"));
        }

        // Under load the silos use CPU; a killed leader's new process has no figure, the others do.
        Assert.Contains(run.GetProperty("cpuLoadPercent").EnumerateObject(), node => node.Value.ValueKind == JsonValueKind.Number && node.Value.GetDouble() > 0);
        Assert.All(run.GetProperty("rssMiBEnd").EnumerateObject(), node => Assert.True(node.Value.GetDouble() > 0, $"rss of {node.Name}"));
        Assert.Contains("CPU of each silo process", output.ToString());
        return run;
    }

    private static void AssertOrdered(JsonElement latency)
    {
        var figures = new[] { "p50", "p90", "p99", "p999", "max" }.Select(name => latency.GetProperty(name).GetDouble()).ToList();
        Assert.True(figures[0] > 0, $"p50 {figures[0]}");
        Assert.True(figures.Zip(figures.Skip(1)).All(pair => pair.First <= pair.Second), $"percentiles out of order: {string.Join(" ", figures)}");
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
