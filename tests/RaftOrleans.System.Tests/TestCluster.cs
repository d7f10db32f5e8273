using RaftOrleans.Contracts;
using System.Diagnostics;
using RaftOrleans.Client.Connections;
using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

/// <summary>A real cluster of silo processes for one test class: its own port range and folder, started
/// through the launcher, always brought down (and its folder deleted) when the class is done, whether the
/// tests passed or not.</summary>
public abstract class TestCluster : IAsyncLifetime
{
    private readonly string _directory;

    protected TestCluster(int basePort)
    {
        BasePort = basePort;
        _directory = Path.Combine(Path.GetTempPath(), $"raftorleans-system-{basePort}-{Guid.NewGuid():N}");
        Launcher = new ClusterLauncher(RepositoryRoot.Find(), _directory, Progress, TestSilo.Dll);
    }

    public int BasePort { get; }
    public ClusterLauncher Launcher { get; }
    public StringWriter Progress { get; } = new();
    public string Directory => _directory;

    protected abstract UpOptions Options { get; }

    /// <summary>Starting 3 silos on a busy 2-core machine takes tens of seconds; a leader follows soon after.</summary>
    public static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(120);

    public virtual async Task InitializeAsync()
    {
        try
        {
            Launcher.Up(Options with { BasePort = BasePort, Fresh = true });
            await Launcher.WaitForLeaderAsync(StartLimit);
        }
        catch
        {
            Launcher.Down();
            throw;
        }
    }

    public Task DisposeAsync()
    {
        Launcher.Down();
        try
        {
            global::System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A log file still open by a dying process; the temp folder is cleaned by the OS eventually.
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<NodeStatusRow>> StatusAsync() =>
        NodeStatusReader.ReadAsync(Launcher.State.Endpoints(), NodeStatusReader.DefaultTimeout);

    /// <summary>Every node running and a leader named by a majority: the state each test starts from.</summary>
    public async Task EnsureHealthyAsync()
    {
        var state = Launcher.State;
        foreach (var node in state.Nodes.Where(node => !SiloProcess.IsRunning(state, node)))
        {
            Launcher.Start(node.Node);
        }

        foreach (var node in state.Nodes.Where(node => PosixSignals.IsPaused(node.Pid)))
        {
            Launcher.Resume(node.Node);
        }

        await Launcher.WaitForLeaderAsync(StartLimit);
        foreach (var node in state.Nodes)
        {
            await Launcher.WaitUntilAnswersAsync(node.Node, StartLimit);
        }
    }

    /// <summary>Polls the status until <paramref name="condition"/> holds; fails with what was seen last.</summary>
    public async Task<IReadOnlyList<NodeStatusRow>> WaitForAsync(string what, Func<IReadOnlyList<NodeStatusRow>, bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        IReadOnlyList<NodeStatusRow> rows = [];
        while (clock.Elapsed < limit)
        {
            rows = await StatusAsync();
            if (condition(rows))
            {
                return rows;
            }

            await Task.Delay(500);
        }

        Assert.Fail($"{what}: not within {limit.TotalSeconds:0} s; last status: {Describe(rows)}");
        return rows;
    }

    public static string Describe(IEnumerable<NodeStatusRow> rows) => string.Join("; ", rows.Select(row => row.Status is { } s
        ? $"{row.Node} {s.Role} term {s.Term} leader {s.Leader ?? "-"} commit {s.CommitIndex} last {s.LastLogIndex}"
        : $"{row.Node} unreachable ({row.Error})"));

    /// <summary>The one leader a majority of the reachable rows agree on, or null.</summary>
    public static string? AgreedLeader(IReadOnlyList<NodeStatusRow> rows, int clusterSize)
    {
        var leader = rows.FirstOrDefault(row => row.Status?.Role == NodeRole.Leader)?.Node;
        return leader is not null && rows.Count(row => row.Status?.Leader == leader) >= clusterSize / 2 + 1 ? leader : null;
    }
}

/// <summary>The silo the solution build made in the tests' own configuration: used when it is newer than
/// every source, which saves the launcher a second build into .raftctl/silo.</summary>
public static class TestSilo
{
#if DEBUG
    internal const string Configuration = "Debug";
#else
    internal const string Configuration = "Release";
#endif

    public static string Dll => Path.Combine(RepositoryRoot.Find(), "src", "RaftOrleans.Silo", "bin", Configuration, "net10.0", SiloBuild.SiloDllName);
}

/// <summary>raftctl as the solution build made it in the tests' own configuration, for the tests that run it as a
/// process (the test project references src/RaftOrleans.Raftctl for build order only).</summary>
public static class TestRaftctl
{
    public static string Dll => Path.Combine(RepositoryRoot.Find(), "src", "RaftOrleans.Raftctl", "bin", TestSilo.Configuration, "net10.0", "raftctl.dll");
}
