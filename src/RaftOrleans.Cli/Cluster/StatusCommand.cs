using RaftOrleans.Hosting.Client;
using RaftOrleans.Hosting.Configuration;

namespace RaftOrleans.Cli.Cluster;

/// <summary>`raftctl status [--json] [--timeout-ms N] [--cluster-dir DIR | --client-config FILE]`: one row per
/// node. A dead or frozen node shows as unreachable after the per-node limit (default 1.5 s); the command
/// never hangs. Exit code 0 when at least one node answered, 1 when none did, 2 on a bad command line.</summary>
public static class StatusCommand
{
    public const string Usage = "usage: raftctl status [--json] [--timeout-ms N] [--cluster-dir DIR | --client-config silo-config/client.json]";

    private static readonly HashSet<string> ValueOptions = ["--timeout-ms", "--cluster-dir", "--client-config"];
    private static readonly HashSet<string> Flags = ["--json"];

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

            var timeout = TimeSpan.FromMilliseconds(arguments.Int("--timeout-ms", (int)NodeStatusReader.DefaultTimeout.TotalMilliseconds, 1, 600_000));
            var cluster = ClusterTarget.Resolve(arguments.Value("--cluster-dir"), arguments.Value("--client-config"));
            var rows = await NodeStatusReader.ReadAsync(cluster, timeout);
            if (arguments.Has("--json"))
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
                return 1;
            }

            return 0;
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl status: {e.Message}");
            await error.WriteLineAsync(Usage);
            return 2;
        }
        catch (Exception e) when (e is LauncherException or ConfigException)
        {
            await error.WriteLineAsync($"raftctl status: {e.Message}");
            return 1;
        }
    }
}
