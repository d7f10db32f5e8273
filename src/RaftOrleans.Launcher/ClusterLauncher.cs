using RaftOrleans.Contracts;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using RaftOrleans.Client.Connections;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Hosting.Database;

namespace RaftOrleans.Launcher;

/// <summary>What `raftctl cluster up` is asked for.</summary>
public sealed record UpOptions
{
    public int Nodes { get; init; } = 3;
    public DatabaseKind Storage { get; init; } = DatabaseKind.Sqlite;

    /// <summary>Required for PostgreSQL storage; also holds the membership table then.</summary>
    public string? PostgresConnection { get; init; }

    /// <summary>Delete the data of an earlier run first.</summary>
    public bool Fresh { get; init; }

    /// <summary>Node i (1-based) gets silo port P+i-1, gateway port P+10+i-1 and metrics port P+15+i-1.</summary>
    public int BasePort { get; init; } = ClusterLauncher.DefaultBasePort;

    /// <summary>The nodes to start now (null: all); the others are prepared and started later with Start.</summary>
    public IReadOnlyList<string>? StartOnly { get; init; }

    /// <summary>Silo command-line overrides for every node of this cluster, on top of silo-config/nX.json
    /// (e.g. ["--election-ticks"] = "40"); only options the silo knows (ConfigKeys.Overrides).</summary>
    public IReadOnlyDictionary<string, string> SiloOverrides { get; init; } = new Dictionary<string, string>();
}

/// <summary>Starts, signals and stops the silo processes of one local cluster, whose files (state, data,
/// logs) live in one folder. Used by `raftctl cluster ...` and by the system tests.</summary>
/// <param name="prebuiltSiloDll">A silo already built (the tests pass the solution's own build); it is used
/// when it is newer than every source, otherwise the silo is built into .raftctl/silo.</param>
public sealed class ClusterLauncher(string repositoryRoot, string clusterDirectory, TextWriter progress, string? prebuiltSiloDll = null)
{
    public const int DefaultBasePort = 11100;
    public const int GatewayPortOffset = 10;
    /// <summary>silo-config holds n1..n7; node i gets ports P+i-1 and P+10+i-1, so at most 10 would fit.</summary>
    public const int MaxNodes = 7;

    /// <summary>Node i's metrics and health port is P+20+i-1: after the silo ports (P..P+6) and the gateways
    /// (P+10..P+16) of up to seven nodes. A cluster takes 27 ports from its base.</summary>
    public const int MetricsPortOffset = 20;
    public static readonly TimeSpan GracefulStopLimit = TimeSpan.FromSeconds(15);

    public string ClusterDirectory { get; } = Path.GetFullPath(clusterDirectory);

    public static string DefaultClusterDirectory(string repositoryRoot) => Path.Combine(repositoryRoot, ".raftctl", "cluster");

    public ClusterState State => ClusterState.Load(ClusterDirectory);

    /// <summary>Starts n1..nN in the background and returns at once; see <see cref="WaitForLeaderAsync"/>.</summary>
    public ClusterState Up(UpOptions options)
    {
        if (options.Nodes is < 1 or > MaxNodes)
        {
            throw new LauncherException($"--nodes {options.Nodes}: a cluster has 1 to {MaxNodes} nodes (silo-config has n1..n{MaxNodes})");
        }

        if (options.BasePort is < 1024 or > 65000)
        {
            throw new LauncherException($"--base-port {options.BasePort}: choose a port between 1024 and 65000");
        }

        if (options.SiloOverrides.Keys.FirstOrDefault(option => !ConfigKeys.Overrides.ContainsKey(option)) is { } unknown)
        {
            throw new LauncherException($"{unknown}: not a silo option (known: {string.Join(", ", ConfigKeys.Overrides.Keys.Order())})");
        }

        var previous = ClusterState.TryLoad(ClusterDirectory);
        if (previous is not null)
        {
            var running = previous.Nodes.Where(node => SiloProcess.IsRunning(previous, node)).Select(node => $"{node.Node} (pid {node.Pid})").ToArray();
            if (running.Length > 0)
            {
                throw new LauncherException($"the cluster in {ClusterDirectory} is running: {string.Join(", ", running)}; `raftctl cluster down` first");
            }
        }

        var state = NewState(options, previous);
        if (options.Fresh)
        {
            DeleteData(state);
        }
        else if (previous is not null && (previous.Voters.Count != options.Nodes || previous.StorageKind != state.StorageKind))
        {
            throw new LauncherException(
                $"the cluster in {ClusterDirectory} was made with {previous.Voters.Count} nodes and {previous.StorageKind.Name()} storage; add --fresh to start over");
        }
        else if (previous is not null)
        {
            // Nodes added later (cluster add) come back as they joined: with no configuration of their own.
            state = state with
            {
                Nodes = previous.Nodes.Select(node => node with
                {
                    Pid = 0,
                    SiloPort = options.BasePort + NodeNumber(node.Node) - 1,
                    GatewayPort = options.BasePort + GatewayPortOffset + NodeNumber(node.Node) - 1,
                }).ToList(),
            };
        }

        CheckPortsFree(state.Nodes);
        state = state with { SiloDll = SiloBuild.EnsureBuilt(repositoryRoot, progress, prebuiltSiloDll) };
        state.Save(ClusterDirectory);
        foreach (var node in state.Nodes.Where(n => options.StartOnly is null || options.StartOnly.Contains(n.Node)))
        {
            node.Pid = SiloProcess.Start(state, node, repositoryRoot);
            state.Save(ClusterDirectory);
            progress.WriteLine($"raftctl: started {node.Node} (pid {node.Pid}, silo port {node.SiloPort}, gateway {node.GatewayPort}, metrics http://127.0.0.1:{node.MetricsPort}/metrics), log {state.LogFile(node.Node)}");
        }

        return state;
    }

    /// <summary>Polls the nodes until one is leader and a majority of the nodes name it; fails early when a
    /// silo process exits, with the end of its log.</summary>
    public async Task<IReadOnlyList<NodeStatusRow>> WaitForLeaderAsync(TimeSpan limit, CancellationToken cancellationToken = default)
    {
        var state = State;
        var majority = state.Voters.Count / 2 + 1;
        var clock = Stopwatch.StartNew();
        IReadOnlyList<NodeStatusRow> rows = [];
        while (clock.Elapsed < limit)
        {
            ThrowIfAnyExited(state);
            rows = await NodeStatusReader.ReadAsync(state.Endpoints(), NodeStatusReader.DefaultTimeout, cancellationToken);
            var leader = rows.FirstOrDefault(row => row.Status?.Role == NodeRole.Leader);
            if (leader is not null && rows.Count(row => row.Status?.Leader == leader.Node) >= majority)
            {
                return rows;
            }

            await Task.Delay(500, cancellationToken);
        }

        throw new LauncherException($"no leader elected within {limit.TotalSeconds:0} s; last seen: " +
            string.Join("; ", rows.Select(row => row.Status is { } s ? $"{row.Node} {s.Role.Name()} term {s.Term}" : $"{row.Node} unreachable")));
    }

    /// <summary>Polls one node until it answers a status call.</summary>
    public async Task<NodeStatusRow> WaitUntilAnswersAsync(string node, TimeSpan limit, CancellationToken cancellationToken = default)
    {
        var state = State;
        var endpoint = state.Endpoints().Nodes.Single(candidate => candidate.Node == node);
        var single = state.Endpoints() with { Nodes = [endpoint] };
        var clock = Stopwatch.StartNew();
        NodeStatusRow? row = null;
        while (clock.Elapsed < limit)
        {
            ThrowIfAnyExited(state with { Nodes = [state.Node(node)] });
            row = (await NodeStatusReader.ReadAsync(single, NodeStatusReader.DefaultTimeout, cancellationToken))[0];
            if (row.Reachable)
            {
                return row;
            }

            await Task.Delay(500, cancellationToken);
        }

        throw new LauncherException($"{node} did not answer within {limit.TotalSeconds:0} s ({row?.Error}); see {state.LogFile(node)}");
    }

    /// <summary>SIGKILL: the node dies at once, as in a crash.</summary>
    public void Kill(string node) => Signal(node, PosixSignals.Kill, "killed");

    /// <summary>SIGSTOP: the node freezes (no CPU, sockets stay open), as a hung machine would.</summary>
    public void Pause(string node) => Signal(node, PosixSignals.Stop, "paused");

    /// <summary>SIGCONT: a paused node runs again.</summary>
    public void Resume(string node) => Signal(node, PosixSignals.Continue, "resumed");

    /// <summary>SIGTERM, then SIGKILL if the silo has not stopped within <paramref name="limit"/>.
    /// Returns false when it had to be killed.</summary>
    public bool Stop(string node, TimeSpan? limit = null)
    {
        var state = State;
        var target = state.Node(node);
        if (!SiloProcess.IsRunning(state, target))
        {
            progress.WriteLine($"raftctl: {node} is not running");
            return true;
        }

        return StopProcesses(state, [target], limit ?? GracefulStopLimit);
    }

    /// <summary>Starts a stopped or killed node again, with its data.</summary>
    public int Start(string node)
    {
        var state = State;
        var target = state.Node(node);
        if (SiloProcess.IsRunning(state, target))
        {
            throw new LauncherException($"{node} is already running (pid {target.Pid})");
        }

        CheckPortsFree([target]);
        state = state with { SiloDll = SiloBuild.EnsureBuilt(repositoryRoot, progress, prebuiltSiloDll) };
        target = state.Node(node);
        target.Pid = SiloProcess.Start(state, target, repositoryRoot);
        state.Save(ClusterDirectory);
        progress.WriteLine($"raftctl: started {node} (pid {target.Pid}), log {state.LogFile(node)}");
        return target.Pid;
    }

    /// <summary>Starts a new node <paramref name="node"/> (n1..n7, not yet in this cluster) on fresh data, as a
    /// joiner: it holds no configuration of its own and waits for the leader to add it (`raftctl member add`).
    /// Returns at once; see <see cref="WaitUntilAnswersAsync"/>.</summary>
    public int Add(string node)
    {
        var state = State;
        if (state.Nodes.Any(existing => existing.Node == node))
        {
            throw new LauncherException($"{node} is already a node of this cluster; `raftctl cluster start {node}` restarts it with its data");
        }

        var number = NodeNumber(node);
        if (number is < 1 or > MaxNodes || !File.Exists(Path.Combine(repositoryRoot, "silo-config", $"{node}.json")))
        {
            throw new LauncherException($"cannot add '{node}': nodes are n1..n{MaxNodes} (silo-config/nX.json)");
        }

        var added = new NodeState
        {
            Node = node,
            SiloPort = state.BasePort + number - 1,
            GatewayPort = state.BasePort + GatewayPortOffset + number - 1,
            MetricsPort = state.Nodes.Any(existing => existing.MetricsPort > 0) ? state.BasePort + MetricsPortOffset + number - 1 : 0,
            Joined = true,
        };
        CheckPortsFree([added]);
        // Fresh data: a file left by an earlier cluster in this folder must not become this node's log.
        foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
        {
            File.Delete(Path.Combine(state.DataDirectory, $"{node}.raft.db{suffix}"));
        }

        File.Delete(state.LogFile(node));
        state.Nodes.Add(added);
        state = state with { SiloDll = SiloBuild.EnsureBuilt(repositoryRoot, progress, prebuiltSiloDll) };
        added.Pid = SiloProcess.Start(state, added, repositoryRoot);
        state.Save(ClusterDirectory);
        progress.WriteLine($"raftctl: started {node} to join (pid {added.Pid}, silo port {added.SiloPort}, gateway {added.GatewayPort}), log {state.LogFile(node)}");
        return added.Pid;
    }

    /// <summary>i for node "ni" (its ports are the base port plus i-1), 0 for any other name.</summary>
    private static int NodeNumber(string node) =>
        node.Length > 1 && node[0] == 'n' && int.TryParse(node[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : 0;

    /// <summary>Stops every node (gracefully, then by force) and leaves no silo process behind.</summary>
    public void Down()
    {
        var state = ClusterState.TryLoad(ClusterDirectory);
        if (state is null)
        {
            progress.WriteLine($"raftctl: no cluster in {ClusterDirectory}");
            return;
        }

        var running = state.Nodes.Where(node => SiloProcess.IsRunning(state, node)).ToArray();
        StopProcesses(state, running, GracefulStopLimit);
        foreach (var node in state.Nodes)
        {
            node.Pid = 0;
        }

        state.Save(ClusterDirectory);
        progress.WriteLine($"raftctl: cluster down ({running.Length} silo process(es) stopped)");
    }

    private bool StopProcesses(ClusterState state, IReadOnlyList<NodeState> nodes, TimeSpan limit)
    {
        foreach (var node in nodes)
        {
            PosixSignals.Send(node.Pid, PosixSignals.Terminate);
            // A paused silo only sees SIGTERM once it runs again.
            PosixSignals.Send(node.Pid, PosixSignals.Continue);
        }

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit && nodes.Any(node => PosixSignals.IsAlive(node.Pid)))
        {
            Thread.Sleep(100);
        }

        var graceful = true;
        foreach (var node in nodes)
        {
            if (PosixSignals.IsAlive(node.Pid))
            {
                graceful = false;
                PosixSignals.Send(node.Pid, PosixSignals.Kill);
                progress.WriteLine($"raftctl: {node.Node} did not stop within {limit.TotalSeconds:0} s: killed");
            }
            else
            {
                progress.WriteLine($"raftctl: stopped {node.Node}");
            }
        }

        var killDeadline = Stopwatch.StartNew();
        while (killDeadline.Elapsed < TimeSpan.FromSeconds(5) && nodes.Any(node => PosixSignals.IsAlive(node.Pid)))
        {
            Thread.Sleep(50);
        }

        return graceful;
    }

    private void Signal(string node, int signal, string done)
    {
        var state = State;
        var target = state.Node(node);
        if (!SiloProcess.IsRunning(state, target))
        {
            throw new LauncherException($"{node} is not running");
        }

        if (!PosixSignals.Send(target.Pid, signal))
        {
            throw new LauncherException($"cannot signal {node} (pid {target.Pid})");
        }

        if (signal == PosixSignals.Kill)
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(5) && PosixSignals.IsAlive(target.Pid))
            {
                Thread.Sleep(20);
            }
        }

        progress.WriteLine($"raftctl: {done} {node} (pid {target.Pid})");
    }

    private static void ThrowIfAnyExited(ClusterState state)
    {
        foreach (var node in state.Nodes.Where(node => node.Pid > 0 && !PosixSignals.IsAlive(node.Pid)))
        {
            var log = state.LogFile(node.Node);
            var tail = File.Exists(log) ? File.ReadLines(log).TakeLast(3) : [];
            throw new LauncherException($"{node.Node} (pid {node.Pid}) exited; end of {log}: {string.Join(" | ", tail)}");
        }
    }

    private ClusterState NewState(UpOptions options, ClusterState? previous)
    {
        var dataDirectory = Path.Combine(ClusterDirectory, "data");
        var clusterId = $"raftorleans-{options.BasePort.ToString(CultureInfo.InvariantCulture)}";
        var names = Enumerable.Range(1, options.Nodes).Select(i => $"n{i}").ToArray();
        var usePostgres = options.Storage == DatabaseKind.Postgres;
        if (usePostgres && string.IsNullOrWhiteSpace(options.PostgresConnection))
        {
            throw new LauncherException("--storage postgres needs --postgres \"Host=...;Username=...;Password=...;Database=...\" (or RAFTCTL_POSTGRES)");
        }

        // The password goes to a file of its own (mode 0600) that the connection string names: cluster.json and
        // the silos' environment then hold no secret.
        var postgres = usePostgres ? PostgresPassfile.MoveOut(options.PostgresConnection!, ClusterDirectory) : null;
        // PostgreSQL keeps every run's rows: a fresh run gets a new service id, so it starts from empty storage.
        var serviceId = usePostgres && (options.Fresh || previous is null)
            ? $"{clusterId}-{DateTime.UtcNow:yyyyMMddHHmmss}"
            : previous?.ServiceId ?? clusterId;
        return new ClusterState
        {
            ClusterId = clusterId,
            ServiceId = serviceId,
            BasePort = options.BasePort,
            StorageKind = options.Storage,
            StorageConnection = postgres,
            ClusteringKind = options.Storage,
            ClusteringConnection = postgres ?? $"Data Source={Path.Combine(dataDirectory, "cluster.db")}",
            DataDirectory = dataDirectory,
            LogDirectory = Path.Combine(ClusterDirectory, "logs"),
            SiloDll = previous?.SiloDll ?? "",
            Voters = names,
            SiloOverrides = options.SiloOverrides,
            Nodes = names.Select((name, i) => new NodeState
            {
                Node = name,
                SiloPort = options.BasePort + i,
                GatewayPort = options.BasePort + GatewayPortOffset + i,
                MetricsPort = options.BasePort + MetricsPortOffset + i,
            }).ToList(),
        };
    }

    private void DeleteData(ClusterState state)
    {
        foreach (var folder in new[] { state.DataDirectory, state.LogDirectory })
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }

        if (state.ClusteringKind == DatabaseKind.Postgres)
        {
            ClusteringSchema.DeleteClusterRows(state.Clustering(), state.ClusterId);
        }
    }

    private static void CheckPortsFree(IEnumerable<NodeState> nodes)
    {
        var busy = nodes.SelectMany(node => new[] { node.SiloPort, node.GatewayPort, node.MetricsPort }).Where(port => port > 0)
            .Where(port => !PortCheck.IsFree(IPAddress.Loopback, port)).ToArray();
        if (busy.Length > 0)
        {
            throw new LauncherException($"port(s) {string.Join(", ", busy)} already in use; choose other ports with --base-port");
        }
    }
}
