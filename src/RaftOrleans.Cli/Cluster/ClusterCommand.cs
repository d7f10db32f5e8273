using RaftOrleans.Contracts;
using RaftOrleans.Hosting.Database;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Cluster;

/// <summary>`raftctl cluster up|down|kill|pause|resume|stop|start|logs ...`: runs a local cluster of silo
/// processes (see <see cref="ClusterLauncher"/>).</summary>
public static class ClusterCommand
{
    public const string Usage = """
        usage: raftctl cluster up [--nodes 1..7] [--storage sqlite|postgres] [--postgres CONNECTION] [--fresh] [--base-port P]
               raftctl cluster kill|pause|resume|stop|start NODE
               raftctl cluster add NODE      (a new silo on fresh data that waits to join; then `raftctl member add NODE`)
               raftctl cluster logs NODE [--lines N] [-f]   (-f, --follow: go on printing what the node logs, until Ctrl-C)
               raftctl cluster down
        every cluster command takes --cluster-dir DIR (default .raftctl/cluster); --postgres defaults to $RAFTCTL_POSTGRES
        """;

    private static readonly HashSet<string> ValueOptions = ["--nodes", "--storage", "--postgres", "--base-port", "--cluster-dir", "--lines"];
    private static readonly HashSet<string> Flags = ["--fresh", "-f", "--follow"];

    /// <param name="args">The words after `cluster`.</param>
    /// <returns>0 on success, 1 when the command failed, 2 on a bad command line.</returns>
    public static int Run(string[] args, TextWriter output, TextWriter error) =>
        RunAsync(args, output, error).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            var arguments = new CommandArguments(args, ValueOptions, Flags);
            if (arguments.Positional.Count == 0)
            {
                throw new UsageException("which cluster command?");
            }

            var root = RepositoryRoot.Find();
            var launcher = new ClusterLauncher(root, arguments.Value("--cluster-dir") ?? ClusterLauncher.DefaultClusterDirectory(root), output);
            var verb = arguments.Positional[0];
            switch (verb)
            {
                case "up":
                    await UpAsync(launcher, arguments, output);
                    return ExitCodes.Done;
                case "down":
                    launcher.Down();
                    return ExitCodes.Done;
                case "kill":
                    launcher.Kill(Node(arguments));
                    return ExitCodes.Done;
                case "pause":
                    launcher.Pause(Node(arguments));
                    return ExitCodes.Done;
                case "resume":
                    launcher.Resume(Node(arguments));
                    return ExitCodes.Done;
                case "stop":
                    launcher.Stop(Node(arguments));
                    return ExitCodes.Done;
                case "start":
                    var node = Node(arguments);
                    launcher.Start(node);
                    var row = await launcher.WaitUntilAnswersAsync(node, TimeSpan.FromSeconds(60));
                    StatusTable.Write(output, [row]);
                    return ExitCodes.Done;
                case "logs" when arguments.Has("-f") || arguments.Has("--follow"):
                    return await FollowLogsAsync(launcher, Node(arguments), arguments.Int("--lines", 10, 1, 1_000_000), output);
                case "add":
                    var joiner = Node(arguments);
                    launcher.Add(joiner);
                    StatusTable.Write(output, [await launcher.WaitUntilAnswersAsync(joiner, TimeSpan.FromSeconds(60))]);
                    await output.WriteLineAsync($"raftctl: {joiner} is up and waits to join; add it with `raftctl member add {joiner}`");
                    return ExitCodes.Done;
                case "logs":
                    return Logs(launcher, Node(arguments), arguments.Int("--lines", 100, 1, 1_000_000), output, error);
                default:
                    throw new UsageException($"unknown cluster command '{verb}'");
            }
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl cluster: {e.Message}");
            await error.WriteLineAsync(Usage);
            return ExitCodes.Usage;
        }
        catch (LauncherException e)
        {
            await error.WriteLineAsync($"raftctl cluster: {e.Message}");
            return ExitCodes.Refused;
        }
    }

    private static async Task UpAsync(ClusterLauncher launcher, CommandArguments arguments, TextWriter output)
    {
        launcher.Up(UpOptionsFrom(arguments, ClusterLauncher.DefaultBasePort) with { Fresh = arguments.Has("--fresh") });
        await output.WriteLineAsync("raftctl: waiting for a leader...");
        var rows = await launcher.WaitForLeaderAsync(TimeSpan.FromSeconds(90));
        StatusTable.Write(output, rows);
    }

    /// <summary>--nodes, --storage, --postgres (default $RAFTCTL_POSTGRES) and --base-port, shared by every
    /// command that starts a cluster of its own.</summary>
    public static UpOptions UpOptionsFrom(CommandArguments arguments, int defaultBasePort)
    {
        var storageText = arguments.Value("--storage") ?? "sqlite";
        if (!DatabaseKinds.TryParse(storageText, out var storage))
        {
            throw new UsageException($"--storage {storageText}: choose sqlite or postgres");
        }

        return new UpOptions
        {
            Nodes = arguments.Int("--nodes", 3, 1, ClusterLauncher.MaxNodes),
            Storage = storage,
            PostgresConnection = arguments.Value("--postgres") ?? Environment.GetEnvironmentVariable("RAFTCTL_POSTGRES"),
            BasePort = arguments.Int("--base-port", defaultBasePort, 1024, 65000),
        };
    }

    private static string Node(CommandArguments arguments) =>
        arguments.Positional.Count == 2 ? arguments.Positional[1] : throw new UsageException($"cluster {arguments.Positional[0]} takes one node (e.g. n2)");

    private static async Task<int> FollowLogsAsync(ClusterLauncher launcher, string node, int lines, TextWriter output)
    {
        var state = launcher.State;
        state.Node(node);
        var log = state.LogFile(node);
        using var stop = new StopSignal();
        await LogFollower.FollowAsync(log, File.Exists(log) ? LogFollower.StartOfLastLines(log, lines) : 0, output, stop.Token);
        return ExitCodes.Done;
    }

    private static int Logs(ClusterLauncher launcher, string node, int lines, TextWriter output, TextWriter error)
    {
        var state = launcher.State;
        state.Node(node);
        var log = state.LogFile(node);
        if (!File.Exists(log))
        {
            error.WriteLine($"raftctl cluster: {node} has no log yet ({log})");
            return ExitCodes.Refused;
        }

        using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var tail = new Queue<string>();
        while (reader.ReadLine() is { } line)
        {
            tail.Enqueue(line);
            if (tail.Count > lines)
            {
                tail.Dequeue();
            }
        }

        foreach (var line in tail)
        {
            output.WriteLine(line);
        }

        return ExitCodes.Done;
    }
}
