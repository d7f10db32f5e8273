using System.Net;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Cli.Commands;
using RaftOrleans.Client.Connections;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Dashboard;

/// <summary>`raftctl dashboard`: a live web view of the cluster at a local address it prints, until Ctrl-C.
/// Served by raftctl rather than by the silos so that it keeps showing the cluster while any silo is
/// killed or frozen, the very moments it is for (see <see cref="DashboardServer"/>).</summary>
public static class DashboardCommand
{
    public const int DefaultPort = 11190;

    public const string Usage = "usage: raftctl dashboard [--port 11190 (0: any free)] [--interval 500ms] [--timeout-ms N] [--cluster-dir DIR | --client-config FILE]";

    private static readonly HashSet<string> ValueOptions = ["--port", "--interval", "--timeout-ms", "--cluster-dir", "--client-config"];

    public static int Run(string[] args, TextWriter output, TextWriter error) => RunAsync(args, output, error).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            var arguments = new CommandArguments(args, ValueOptions, new HashSet<string>());
            if (arguments.Positional.Count > 0)
            {
                throw new UsageException($"unexpected '{arguments.Positional[0]}'");
            }

            var port = arguments.Int("--port", DefaultPort, 0, 65535);
            var intervalText = arguments.Value("--interval") ?? "500ms";
            if (!CommandArguments.TryParseDuration(intervalText, out var interval) || interval < TimeSpan.FromMilliseconds(100))
            {
                throw new UsageException($"--interval {intervalText}: give 100ms or more (500ms, 2s)");
            }

            var timeout = TimeSpan.FromMilliseconds(arguments.Int("--timeout-ms", (int)NodeStatusReader.DefaultTimeout.TotalMilliseconds, 100, 60_000));
            var cluster = ClusterTarget.Resolve(arguments.Value("--cluster-dir"), arguments.Value("--client-config"));
            if (port != 0 && !PortCheck.IsFree(IPAddress.Loopback, port))
            {
                throw new LauncherException($"port {port} is in use; choose another with --port (0: any free)");
            }

            using var stop = new StopSignal();
            await using (var server = await DashboardServer.StartAsync(cluster, IPAddress.Loopback, port, interval, timeout, stop.Token))
            {
                await output.WriteLineAsync($"raftctl dashboard: {server.Address} (cluster {cluster.ClusterId}, every {interval.TotalMilliseconds:0} ms; Ctrl-C to stop)");
                await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            }

            return ExitCodes.Done;
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl dashboard: {e.Message}");
            await error.WriteLineAsync(Usage);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is LauncherException or ConfigException)
        {
            await error.WriteLineAsync($"raftctl dashboard: {e.Message}");
            return ExitCodes.ForNoCluster(e);
        }
        catch (IOException e)
        {
            // The page's address could not be bound (a port in use).
            await error.WriteLineAsync($"raftctl dashboard: {e.Message.Split('\n')[0]}");
            return ExitCodes.Refused;
        }
    }
}
