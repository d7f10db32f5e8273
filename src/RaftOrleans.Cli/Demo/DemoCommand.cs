using RaftOrleans.Client.Connections;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Demo;

/// <summary>`raftctl demo [--keep] [--base-port P]`: starts its own five-node cluster on fresh SQLite data,
/// runs the proposal's scenarios with every outcome checked, prints a table, and stops its silos on exit,
/// Ctrl-C and SIGTERM included (unless --keep). Exit 0 only when every step behaved as Raft requires.</summary>
public static class DemoCommand
{
    public const string Usage = "raftctl demo [--keep] [--base-port P]";
    public const int DefaultBasePort = 11300;

    /// <summary>The demo's election timeout. Several steps expect the leader to stay (nodes join, a follower is
    /// isolated and healed, restarted nodes catch up); Raft promises that only while heartbeats arrive within
    /// the election timeout. With the 300 ms of silo-config, a machine loaded by a 16-client benchmark delayed
    /// heartbeats past it and leaders changed in those steps; 1 s (etcd's default) leaves room.</summary>
    public const int ElectionTicks = 40;

    public static readonly IReadOnlyDictionary<string, string> SiloOverrides =
        new Dictionary<string, string> { ["--election-ticks"] = ElectionTicks.ToString(System.Globalization.CultureInfo.InvariantCulture) };

    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var options = new CommandArguments(args, new HashSet<string> { "--base-port" }, new HashSet<string> { "--keep" });
        if (options.Positional.Count > 0) throw new UsageException($"unexpected argument '{options.Positional[0]}'; usage: {Usage}");
        var basePort = options.Int("--base-port", DefaultBasePort, 1024, 65000);
        var root = RepositoryRoot.Find();
        var launcher = new ClusterLauncher(root, Path.Combine(root, ".raftctl", "demo"), output);
        // Ctrl-C and SIGTERM alike: let the finally below stop the silos.
        using var cancellation = new StopSignal(error, "raftctl demo: interrupted, stopping the demo cluster");
        var stopOnExit = !options.Has("--keep");
        try
        {
            output.WriteLine("raftctl demo: a fresh five-node cluster on SQLite; every step is checked against what Raft requires");
            output.WriteLine($"raftctl demo: election timeout {ElectionTicks} ticks of 25 ms (etcd's default of 1 s; silo-config has 9), so that late heartbeats on a busy machine do not move a leader a step expects to stay");
            launcher.Up(new UpOptions { Nodes = 5, Fresh = true, BasePort = basePort, StartOnly = ["n1"], SiloOverrides = SiloOverrides });
            var cluster = new DemoCluster(launcher, output, cancellation.Token);
            var scenarios = new DemoScenarios(cluster, output);
            RunAll(scenarios).GetAwaiter().GetResult();
            // The membership scenario needs a cluster that starts with one node: the five-node one goes first.
            launcher.Down();
            new MembershipDemo(launcher, output, scenarios.Record, cancellation.Token).RunAsync(basePort).GetAwaiter().GetResult();
            scenarios.WriteSummary();
            if (!stopOnExit) output.WriteLine($"raftctl demo: the cluster keeps running (--keep); stop it with ./raftctl cluster down --cluster-dir {launcher.ClusterDirectory}");
            return scenarios.Steps.Count > 0 && scenarios.Steps.All(s => s.Passed) ? ExitCodes.Done : ExitCodes.Refused;
        }
        catch (OperationCanceledException) when (cancellation.Token.IsCancellationRequested)
        {
            stopOnExit = true;
            return ExitCodes.Interrupted;
        }
        catch (LauncherException e)
        {
            error.WriteLine($"raftctl demo: {e.Message}");
            return ExitCodes.Refused;
        }
        catch (ClusterUnreachableException e)
        {
            // A node the demo needed did not answer in time: one line and the "no answer" code, not a stack trace.
            error.WriteLine($"raftctl demo: {e.Message}");
            return ExitCodes.Unavailable;
        }
        finally
        {
            if (stopOnExit) launcher.Down();
        }
    }

    private static async Task RunAll(DemoScenarios scenarios)
    {
        await scenarios.ElectionAsync();
        await scenarios.ReplicationAsync();
        await scenarios.LogConflictsAsync();
        await scenarios.PartitionAsync();
    }
}
