using System.Diagnostics;
using System.Globalization;
using System.Text;
using RaftOrleans.Cli.Commands;
using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

/// <summary>SIGTERM and SIGINT (Ctrl-C) sent to a real `raftctl` process that runs until stopped: `bench write --up 3`
/// and `load`. Both signals must do the same: the run ends, says it was interrupted, stops the silos it started
/// itself (and only those) and exits 130. SIGTERM once did nothing visible: the Orleans client hosts' console
/// lifetime took the signal for itself, stopped only the clients, and the run went on for its 600 s.</summary>
[Collection(RealProcesses.Name)]
public sealed class SignalTests : IDisposable
{
    // 26100-26186: three clusters of 27 ports each (see ClusterLauncher), 30 apart; the demo's 26200-26226.
    private const int BenchTermBasePort = 26100, BenchInterruptBasePort = 26130, LoadBasePort = 26160, DemoBasePort = 26200;
    private const int Interrupted = 130;

    /// <summary>How long a signalled run may take to end before the test calls it a hang: a bound on the
    /// wait, not a timing goal (stopping 3 silos takes a few seconds).</summary>
    private static readonly TimeSpan EndLimit = TimeSpan.FromSeconds(30);

    private readonly string _directory = Directory.CreateTempSubdirectory("raftorleans-signals-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A log file still open by a dying process; the temp folder is cleaned by the OS eventually.
        }
    }

    [Theory]
    [InlineData("SIGTERM", BenchTermBasePort)]
    [InlineData("SIGINT", BenchInterruptBasePort)]
    public async Task A_signal_ends_a_bench_run_and_stops_the_silos_it_started(string signal, int basePort)
    {
        var clusterDirectory = Path.Combine(_directory, "bench");
        // Built here, not by the child: the wait for "measuring" below should not include a silo build.
        SiloBuild.EnsureBuilt(RepositoryRoot.Find(), TextWriter.Null);
        using var raftctl = RaftctlProcess.Start(["bench", "write", "--up", "3", "--base-port", basePort.ToString(CultureInfo.InvariantCulture),
            "--cluster-dir", clusterDirectory, "--seconds", "600", "--clients", "2", "--warmup", "0.5", "--idle-seconds", "0.5"]);
        var silos = new List<int>();
        try
        {
            await raftctl.WaitForAsync(() => raftctl.Stderr.Contains("measuring", StringComparison.Ordinal), "start measuring", TimeSpan.FromMinutes(3));
            silos = SiloPids(clusterDirectory);
            Assert.True(silos.Count == 3, $"expected 3 silo processes while measuring, found {silos.Count}: {raftctl.Describe()}");

            await AssertSignalStopsRunAndSilosAsync(raftctl, signal, silos, clusterDirectory);
        }
        finally
        {
            raftctl.Kill();
            foreach (var pid in silos.Concat(SiloPids(clusterDirectory)).Where(PosixSignals.IsAlive))
            {
                PosixSignals.Send(pid, PosixSignals.Kill); // never leave silos behind, whatever failed above
            }
        }
    }

    /// <summary>The demo once stopped only on Ctrl-C: SIGTERM ended the process and left its five silos running.</summary>
    [Fact]
    public async Task SIGTERM_ends_the_demo_and_stops_its_silos()
    {
        // The demo's cluster folder is fixed (.raftctl/demo in the checkout); no other test uses it.
        var root = RepositoryRoot.Find();
        var clusterDirectory = Path.Combine(root, ".raftctl", "demo");
        SiloBuild.EnsureBuilt(root, TextWriter.Null);
        using var raftctl = RaftctlProcess.Start(["demo", "--base-port", DemoBasePort.ToString(CultureInfo.InvariantCulture)]);
        var silos = new List<int>();
        try
        {
            await raftctl.WaitForAsync(() => raftctl.Stdout.Contains("=== ", StringComparison.Ordinal), "start its first scenario", TimeSpan.FromMinutes(3));
            silos = SiloPids(clusterDirectory);
            Assert.True(silos.Count > 0, $"no demo silo running during the first scenario: {raftctl.Describe()}");

            await AssertSignalStopsRunAndSilosAsync(raftctl, "SIGTERM", silos, clusterDirectory);
        }
        finally
        {
            raftctl.Kill();
            foreach (var pid in silos.Concat(SiloPids(clusterDirectory)).Where(PosixSignals.IsAlive))
            {
                PosixSignals.Send(pid, PosixSignals.Kill);
            }
        }
    }

    [Theory]
    [InlineData("SIGTERM")]
    [InlineData("SIGINT")]
    public async Task A_signal_ends_load_with_a_complete_history_and_leaves_the_cluster_running(string signal)
    {
        var clusterDirectory = Path.Combine(_directory, "load");
        var history = Path.Combine(_directory, "history.jsonl");
        var launcher = new ClusterLauncher(RepositoryRoot.Find(), clusterDirectory, TextWriter.Null, TestSilo.Dll);
        RaftctlProcess? raftctl = null;
        try
        {
            launcher.Up(new UpOptions { Nodes = 3, BasePort = LoadBasePort, Fresh = true });
            await launcher.WaitForLeaderAsync(TestCluster.StartLimit);
            var silos = launcher.State.Nodes.Select(node => node.Pid).ToList();
            raftctl = RaftctlProcess.Start(["load", "--clients", "2", "--seconds", "600", "--keys", "3", "--history", history, "--cluster-dir", clusterDirectory]);
            var running = raftctl;
            // Progress lines read "load:  3.0/600 s  N ops: ok K, ...": wait until some operation succeeded.
            await running.WaitForAsync(() => running.Stdout.Split('\n').Any(line => line.Contains(" ok ", StringComparison.Ordinal) && !line.Contains(" ok 0,", StringComparison.Ordinal)),
                "complete an operation", TimeSpan.FromMinutes(2));

            running.Signal(signal);

            Assert.True(await running.WaitForExitAsync(EndLimit), $"raftctl load went on for {EndLimit.TotalSeconds:0} s after {signal}: {running.Describe()}");
            Assert.True(running.ExitCode == Interrupted, $"exit code {running.ExitCode} after {signal}: {running.Describe()}");
            Assert.Contains("interrupted", running.Stderr, StringComparison.Ordinal);
            // The history is written to the end (every invocation has its completion) and can be checked.
            var check = new StringWriter();
            Assert.True(CheckCommand.Run([history], check, check) == CheckCommand.Linearizable, $"raftctl check on the interrupted history: {check}");
            // load did not start the cluster, so it must not stop it.
            Assert.All(silos, pid => Assert.True(PosixSignals.IsAlive(pid), $"silo pid {pid} stopped by a load run that did not start it"));
        }
        finally
        {
            raftctl?.Kill();
            raftctl?.Dispose();
            launcher.Down();
        }
    }

    /// <summary>Sends <paramref name="signal"/> and checks the run ends with 130, says it was interrupted, and
    /// leaves none of its silos running.</summary>
    private static async Task AssertSignalStopsRunAndSilosAsync(RaftctlProcess raftctl, string signal, List<int> silos, string clusterDirectory)
    {
        raftctl.Signal(signal);

        Assert.True(await raftctl.WaitForExitAsync(EndLimit), $"raftctl went on for {EndLimit.TotalSeconds:0} s after {signal}: {raftctl.Describe()}");
        Assert.True(raftctl.ExitCode == Interrupted, $"exit code {raftctl.ExitCode} after {signal}: {raftctl.Describe()}");
        Assert.Contains("interrupted", raftctl.Stderr, StringComparison.Ordinal);
        var left = silos.Concat(SiloPids(clusterDirectory)).Distinct().Where(PosixSignals.IsAlive).ToList();
        Assert.True(left.Count == 0, $"silo pids {string.Join(", ", left)} still running after {signal}: {raftctl.Describe()}");
    }

    /// <summary>The silo processes of the cluster in <paramref name="clusterDirectory"/>: those its state file names
    /// and any other process whose command line names the folder (the launcher starts each silo on a config file in it).</summary>
    private static List<int> SiloPids(string clusterDirectory)
    {
        var pids = ClusterState.TryLoad(clusterDirectory)?.Nodes.Select(node => node.Pid).Where(pid => pid > 0).ToList() ?? [];
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                var commandLine = File.ReadAllText(Path.Combine(folder, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(clusterDirectory, StringComparison.Ordinal) && commandLine.Contains(SiloBuild.SiloDllName, StringComparison.Ordinal))
                {
                    pids.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return pids.Distinct().ToList();
    }

    /// <summary>`raftctl` (the test build's raftctl.dll, see TestRaftctl) as a child process, its output collected as it comes.</summary>
    private sealed class RaftctlProcess : IDisposable
    {
        private readonly Process _process;
        private readonly StringBuilder _stdout = new();
        private readonly StringBuilder _stderr = new();

        private RaftctlProcess(Process process) => _process = process;

        public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }
        public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }
        public int ExitCode => _process.ExitCode;

        public static RaftctlProcess Start(string[] arguments)
        {
            // Through `env --default-signal=INT`, which execs dotnet in the same process: a test run started in
            // the background of a script inherits SIGINT ignored (as shells do for background jobs), the ignored
            // disposition survives exec, and .NET then leaves SIGINT ignored, so raftctl would never see the
            // Ctrl-C this test sends. The signal's default is restored first, as on a terminal.
            var start = new ProcessStartInfo("env") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
            start.ArgumentList.Add("--default-signal=INT");
            start.ArgumentList.Add(DotnetHost.Path);
            start.ArgumentList.Add(TestRaftctl.Dll);
            foreach (var argument in arguments) start.ArgumentList.Add(argument);
            start.Environment["RAFTORLEANS_ROOT"] = RepositoryRoot.Find();
            var raftctl = new RaftctlProcess(new Process { StartInfo = start });
            raftctl._process.OutputDataReceived += (_, line) => Append(raftctl._stdout, line.Data);
            raftctl._process.ErrorDataReceived += (_, line) => Append(raftctl._stderr, line.Data);
            raftctl._process.Start();
            raftctl._process.BeginOutputReadLine();
            raftctl._process.BeginErrorReadLine();
            return raftctl;
        }

        private static void Append(StringBuilder text, string? line)
        {
            if (line is null) return;
            lock (text) text.Append(line).Append('\n');
        }

        /// <summary>Polls <paramref name="condition"/>; fails with the output so far when the process ends first or the limit passes.</summary>
        public async Task WaitForAsync(Func<bool> condition, string what, TimeSpan limit)
        {
            var clock = Stopwatch.StartNew();
            while (!condition())
            {
                Assert.False(_process.HasExited, $"raftctl ended (exit {(_process.HasExited ? _process.ExitCode : 0)}) before it did {what}: {Describe()}");
                Assert.True(clock.Elapsed < limit, $"raftctl did not {what} within {limit.TotalSeconds:0} s: {Describe()}");
                await Task.Delay(200);
            }
        }

        public void Signal(string name) =>
            Assert.True(PosixSignals.Send(_process.Id, name == "SIGTERM" ? PosixSignals.Terminate : PosixSignals.Interrupt), $"cannot send {name} to pid {_process.Id}");

        public async Task<bool> WaitForExitAsync(TimeSpan limit)
        {
            using var timeout = new CancellationTokenSource(limit);
            try
            {
                await _process.WaitForExitAsync(timeout.Token);
                return true;
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        public void Kill()
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
        }

        public string Describe() => $"\n--- stderr\n{Tail(Stderr)}\n--- stdout\n{Tail(Stdout)}";

        private static string Tail(string text) => text.Length <= 4000 ? text : "..." + text[^4000..];

        public void Dispose()
        {
            Kill();
            _process.Dispose();
        }
    }
}
