using RaftOrleans.Cli.Cluster;
using RaftOrleans.Client;
using RaftOrleans.Client.Connections;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Kv;

/// <summary>The cluster options every key-value command takes, and a client connected by them: the same
/// discovery as `raftctl status` (--client-config, else the launcher's cluster in --cluster-dir or the default
/// folder, else silo-config/client.json).</summary>
public sealed class KvConnection : IAsyncDisposable
{
    public static readonly IReadOnlySet<string> ValueOptions = new HashSet<string> { "--cluster-dir", "--client-config", "--command-timeout", "--timeout-ms" };

    public const string OptionsUsage = "[--command-timeout 5s] [--cluster-dir DIR | --client-config FILE]";

    /// <summary>How long a console command (put, get, ...) retries before it gives up, as etcdctl's
    /// --command-timeout; a cluster with no node running is known at once and reported without waiting.</summary>
    public static readonly RaftKvClientOptions CommandDefaults = new()
    {
        OverallDeadline = TimeSpan.FromSeconds(5),
        GiveUpWhenNoNodeIsRunning = true,
    };

    /// <summary>What a console command adds when no node is running.</summary>
    public const string HowToStart = "start the cluster with './raftctl cluster up' (or one node with './raftctl cluster start NODE')";

    private readonly OrleansNodeChannel _channel;

    private KvConnection(OrleansNodeChannel channel, RaftKvClientOptions options)
    {
        _channel = channel;
        Options = options;
        Client = new RaftKvClient(channel, options);
    }

    public RaftKvClient Client { get; }

    public RaftKvClientOptions Options { get; }

    public IRaftNodeChannel Channel => _channel;

    /// <summary>Finds the cluster; a node is connected when the first call goes to it (a one-shot command), or
    /// every node at once in the background with <see cref="NodeConnects.AllAtOnce"/> (a long run or the prompt).
    /// Throws <see cref="LauncherException"/> or a config error when no cluster is
    /// described, <see cref="UsageException"/> for a bad --command-timeout.</summary>
    public static KvConnection Open(CommandArguments arguments, RaftKvClientOptions? defaults = null,
        NodeConnects connects = NodeConnects.OnFirstCall)
    {
        var options = defaults ?? CommandDefaults;
        // --timeout-ms N is the older spelling of --command-timeout, kept for scripts that use it.
        var deadline = arguments.Value("--command-timeout") is not null
            ? arguments.Duration("--command-timeout", options.OverallDeadline, TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1))
            : TimeSpan.FromMilliseconds(arguments.Int("--timeout-ms", (int)options.OverallDeadline.TotalMilliseconds, 1, 3_600_000));
        options = options with { OverallDeadline = deadline };
        ClusterEndpoints cluster = ClusterTarget.Resolve(arguments.Value("--cluster-dir"), arguments.Value("--client-config"));
        // A connect can never be allowed to outlast the operation waiting for it.
        if (cluster.ConnectTimeout > options.OverallDeadline)
        {
            cluster = cluster with { ConnectTimeout = options.OverallDeadline };
        }
        return new KvConnection(new OrleansNodeChannel(cluster, connects), options);
    }

    private CancellationTokenSource? _following;
    private Task _followingDone = Task.CompletedTask;

    /// <summary>For a cluster the launcher runs: reads its cluster.json every <paramref name="interval"/> and
    /// reaches the nodes added since (`raftctl cluster add`), so that a long run (`raftctl load`) follows the
    /// cluster as it grows, and a leader among the new nodes is reached. Does nothing for --client-config,
    /// whose node list is fixed. Each node added is named on <paramref name="progress"/>.</summary>
    public void FollowLauncherCluster(CommandArguments arguments, TextWriter progress, TimeSpan interval)
    {
        if (arguments.Value("--client-config") is not null || _following is not null) return;
        var directory = arguments.Value("--cluster-dir") ?? ClusterLauncher.DefaultClusterDirectory(RepositoryRoot.Find());
        if (ClusterState.TryLoad(directory) is null) return;
        _following = new CancellationTokenSource();
        var stop = _following.Token;
        _followingDone = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(interval, stop);
                    if (ClusterState.TryLoad(directory) is { } state)
                        foreach (var node in _channel.AddNodes(state.Endpoints().Nodes))
                            progress.WriteLine($"raftctl: now also reaching {node} (added to the cluster)");
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is IOException or LauncherException or System.Text.Json.JsonException)
                {
                    // cluster.json is being rewritten by the launcher: read it again next time
                }
            }
        }, stop);
    }

    public async ValueTask DisposeAsync()
    {
        if (_following is { } following)
        {
            await following.CancelAsync();
            await _followingDone;
            following.Dispose();
        }
        await _channel.DisposeAsync();
    }
}
