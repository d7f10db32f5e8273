using RaftOrleans.Client.Connections;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Cluster;

/// <summary>`raftctl status [-w table|json] [--timeout-ms N] [--watch [--interval 500ms]] [--cluster-dir DIR | --client-config FILE]`:
/// one row per node. A dead or frozen node shows as unreachable after the per-node limit (default 1.5 s); the
/// command never hangs. Exit code 0 when at least one node answered, 3 when none did (or no cluster was found),
/// 2 on a bad command line or client config; --watch redraws the table until Ctrl-C (<see cref="StatusWatch"/>) and exits 0.</summary>
public static class StatusCommand
{
    public const string Usage = "usage: raftctl status [-w table|json | --watch [--interval 500ms]] [--timeout-ms N] [--cluster-dir DIR | --client-config silo-config/client.json]   (--json is -w json)";

    private static readonly HashSet<string> ValueOptions = ["--timeout-ms", "--cluster-dir", "--client-config", "--interval", .. WriteOut.Options];
    private static readonly HashSet<string> Flags = ["--json", "--watch"];

    /// <param name="args">The words after `status`.</param>
    public static int Run(string[] args, TextWriter output, TextWriter error) =>
        RunAsync(args, output, error).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            var arguments = new CommandArguments(args, ValueOptions, Flags);
            if (arguments.Positional.Count > 0)
            {
                throw new UsageException($"unexpected '{arguments.Positional[0]}'");
            }

            // --json was this command's spelling before -w (as etcdctl's) came to every command with formats.
            var json = arguments.Has("--json") || WriteOut.Parse(arguments, "status", "table", "json") == "json";
            var timeout = TimeSpan.FromMilliseconds(arguments.Int("--timeout-ms", (int)NodeStatusReader.DefaultTimeout.TotalMilliseconds, 1, 600_000));
            var cluster = ClusterTarget.Resolve(arguments.Value("--cluster-dir"), arguments.Value("--client-config"));
            if (arguments.Has("--watch"))
            {
                return await WatchAsync(arguments, json, cluster, timeout, output);
            }

            if (arguments.Value("--interval") is not null)
            {
                throw new UsageException("--interval goes with --watch");
            }

            var rows = await NodeStatusReader.ReadAsync(cluster, timeout);
            if (json)
            {
                StatusTable.WriteJson(output, rows);
            }
            else
            {
                StatusTable.Write(output, rows);
            }

            if (rows.All(row => !row.Reachable))
            {
                await error.WriteLineAsync($"raftctl status: no node of cluster '{cluster.ClusterId}' answered within {timeout.TotalMilliseconds:0} ms");
                return ExitCodes.Unavailable;
            }

            return ExitCodes.Done;
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl status: {e.Message}");
            await error.WriteLineAsync(Usage);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is LauncherException or ConfigException)
        {
            await error.WriteLineAsync($"raftctl status: {e.Message}");
            return ExitCodes.ForNoCluster(e);
        }
    }

    private static async Task<int> WatchAsync(CommandArguments arguments, bool json, ClusterEndpoints cluster, TimeSpan timeout, TextWriter output)
    {
        if (json)
        {
            throw new UsageException("--watch draws the table; -w json reads once");
        }

        var intervalText = arguments.Value("--interval") ?? "500ms";
        if (!CommandArguments.TryParseDuration(intervalText, out var interval) || interval < TimeSpan.FromMilliseconds(100))
        {
            throw new UsageException($"--interval {intervalText}: give 100ms or more (500ms, 2s)");
        }

        using var stop = new StopSignal();
        var terminal = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        await StatusWatch.RunAsync(cluster, interval, timeout, output, terminal, stop.Token);
        return ExitCodes.Done;
    }
}
