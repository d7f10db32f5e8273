using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Bench;

/// <summary>
/// The cluster a benchmark measures, from start to stop: either one it starts itself (fresh data, its own
/// ports) and always stops afterwards, whether the measurement succeeded, failed or was interrupted, or a
/// running cluster of the launcher's, which it leaves running. Shared by `bench cluster` and the workloads.
/// </summary>
public static class BenchSession
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(120);

    /// <summary>Runs <paramref name="run"/> with a token that Ctrl-C or SIGTERM cancels (instead of ending the
    /// process, so that the run's own cleanup stops the silos it started); both signals behave alike.</summary>
    public static int WithStopSignal(string command, TextWriter error, Func<CancellationToken, Task<int>> run)
    {
        using var stop = new StopSignal(error, $"raftctl {command}: interrupted, stopping");
        return run(stop.Token).GetAwaiter().GetResult();
    }

    /// <summary>Starts the cluster (when <paramref name="start"/> is given), waits until a leader is agreed
    /// and every node answers, then runs <paramref name="measure"/>; stops a cluster it started in every case.</summary>
    /// <returns>0 when <paramref name="measure"/> returned true, 1 when false or the cluster failed, 130 when
    /// interrupted.</returns>
    public static async Task<int> RunAsync(string command, ClusterLauncher launcher, UpOptions? start, TextWriter error,
        Func<ClusterLauncher, Task<bool>> measure, CancellationToken cancellation)
    {
        var started = false;
        try
        {
            if (start is not null)
            {
                // Checked here, not left to Up: the finally below must never stop a cluster this run did not start.
                if (ClusterState.TryLoad(launcher.ClusterDirectory) is { } previous && previous.Nodes.Any(node => SiloProcess.IsRunning(previous, node)))
                {
                    throw new LauncherException($"a cluster is running in {launcher.ClusterDirectory}; measure it without starting one, or stop it first");
                }

                started = true;
                launcher.Up(start);
            }
            else
            {
                var state = launcher.State;
                var down = state.Nodes.Where(node => !SiloProcess.IsRunning(state, node)).Select(node => node.Node).ToList();
                if (down.Count == state.Nodes.Count)
                {
                    throw new LauncherException($"no silo of the cluster in {launcher.ClusterDirectory} is running (`raftctl cluster up`, or start one with --up)");
                }
            }

            await launcher.WaitForLeaderAsync(StartLimit, cancellation);
            foreach (var node in launcher.State.Nodes.Where(node => SiloProcess.IsRunning(launcher.State, node)))
            {
                await launcher.WaitUntilAnswersAsync(node.Node, StartLimit, cancellation);
            }

            return await measure(launcher) ? ExitCodes.Done : ExitCodes.Refused;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is LauncherException or ConfigException)
        {
            await error.WriteLineAsync($"raftctl {command}: {e.Message}");
            // A cluster that would not start (or is not there to measure) is a run that measured nothing.
            return e is ConfigException ? ExitCodes.Usage : ExitCodes.Refused;
        }
        finally
        {
            if (started)
            {
                launcher.Down();
            }
        }
    }
}
