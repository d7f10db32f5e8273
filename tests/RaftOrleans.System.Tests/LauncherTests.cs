using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

/// <summary>The launcher's view of a silo process it just started. A silo starts as `setsid sh -c 'exec dotnet ...'`:
/// two execs, and while the kernel swaps a process's image its /proc/PID/cmdline reads empty. A launcher that took
/// that for "not running" started a second silo of the same node (the demo did, on a loaded machine, where the
/// window is long): two processes on the same ports, one untracked.</summary>
public sealed class LauncherTests : IDisposable
{
    private const int BasePort = 26900;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"raftorleans-launcher-{BasePort}-{Guid.NewGuid():N}");
    private readonly ClusterLauncher _launcher;

    public LauncherTests() => _launcher = new ClusterLauncher(RepositoryRoot.Find(), _directory, new StringWriter(), TestSilo.Dll);

    [Fact]
    public void A_silo_just_started_is_running_through_its_execs_and_a_second_start_is_refused()
    {
        _launcher.Up(new UpOptions { Nodes = 1, BasePort = BasePort, Fresh = true, StartOnly = [] });
        // Several starts: each passes through the exec window once, right after Start returns.
        for (var round = 0; round < 5; round++)
        {
            var pid = _launcher.Start("n1");
            var clock = global::System.Diagnostics.Stopwatch.StartNew();
            var reads = 0;
            while (clock.Elapsed < TimeSpan.FromMilliseconds(300))
            {
                var state = _launcher.State;
                Assert.True(SiloProcess.IsRunning(state, state.Node("n1")),
                    $"round {round}: pid {pid} is alive but IsRunning said no after {clock.Elapsed.TotalMilliseconds:0.0} ms ({reads} reads)");
                reads++;
            }

            var second = Assert.Throws<LauncherException>(() => _launcher.Start("n1"));
            Assert.Contains("already running", second.Message, StringComparison.Ordinal);
            _launcher.Kill("n1");
        }
    }

    public void Dispose()
    {
        _launcher.Down();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A log file still open by a dying process.
        }
    }
}
