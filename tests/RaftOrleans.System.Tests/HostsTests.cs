using RaftOrleans.Contracts;
using System.Diagnostics;
using RaftOrleans.Client.Connections;
using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

/// <summary>Runs only where several hosts can be made on this machine: as root, with iproute2's `ip netns`, and
/// with PostgreSQL given in RAFT_TEST_POSTGRES (.ci/run sets it up and lets the hosts' addresses in). Elsewhere the
/// test is reported as skipped, with the reason.</summary>
public sealed class HostsFactAttribute : FactAttribute
{
    public HostsFactAttribute() => Skip = WhyNot;

    /// <summary>Why hosts cannot be made here, or null when they can.</summary>
    public static string? WhyNot =>
        string.IsNullOrWhiteSpace(PostgresFactAttribute.ConnectionString) ? "RAFT_TEST_POSTGRES is not set (bash .ci/run installs PostgreSQL and sets it)"
        : !OperatingSystem.IsLinux() || Environment.UserName != "root" ? "network namespaces need Linux and root"
        : !File.Exists("/usr/sbin/ip") && !File.Exists("/sbin/ip") && !File.Exists("/usr/bin/ip") ? "iproute2 (ip) is not installed"
        : null;
}

/// <summary>Three hosts made by deploy/hosts/netns.sh, the script a user follows: one network namespace per
/// silo with its own address on a bridge, membership and state in PostgreSQL, the client outside them all
/// through the hosts' gateways. Always taken down, the namespaces and bridge removed, pass or fail.</summary>
public sealed class NetnsHosts : IAsyncLifetime
{
    public const int Nodes = 3;
    private const int SiloPort = 24300;
    private readonly string _script = Path.Combine(RepositoryRoot.Find(), "deploy", "hosts", "netns.sh");

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"raftorleans-hosts-{SiloPort}-{Guid.NewGuid():N}");
    public string ClientConfig => Path.Combine(Directory, "client.json");
    public string[] Target => ["--client-config", ClientConfig];

    public async Task InitializeAsync()
    {
        if (HostsFactAttribute.WhyNot is not null) return; // the test skips, and says why
        try
        {
            await RunAsync("down"); // a run killed before its own cleanup left its hosts behind
            await RunAsync("up");
        }
        catch
        {
            await RunAsync("down");
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        if (!File.Exists(ClientConfig)) return;
        await RunAsync("down");
        try
        {
            global::System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A log still open by a dying silo.
        }
    }

    /// <summary>Runs `deploy/hosts/netns.sh WORDS`; fails with its output unless it exits 0.</summary>
    public async Task<string> RunAsync(params string[] words)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(_script);
        foreach (var word in words) start.ArgumentList.Add(word);
        start.Environment["RAFT_HOSTS_DIR"] = Directory;
        start.Environment["RAFT_HOSTS_NAME"] = "rt";
        start.Environment["RAFT_HOSTS_SUBNET"] = "10.78.0";
        start.Environment["RAFT_HOSTS_NODES"] = Nodes.ToString(global::System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RAFT_HOSTS_PORT"] = SiloPort.ToString(global::System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["RAFT_POSTGRES"] = PostgresFactAttribute.ConnectionString;
        start.Environment["RAFT_SILO_DLL"] = TestSilo.Dll;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(limit.Token);
        var text = await output + await error;
        if (process.ExitCode != 0 && words[0] != "down")
            throw new InvalidOperationException($"netns.sh {string.Join(' ', words)} exited {process.ExitCode}: {text}");
        return text;
    }

    public async Task<IReadOnlyList<NodeStatusRow>> WaitForAsync(string what, Func<IReadOnlyList<NodeStatusRow>, bool> condition, TimeSpan limit)
    {
        var endpoints = ClientConfigLoader.Load(ClientConfig);
        var clock = Stopwatch.StartNew();
        IReadOnlyList<NodeStatusRow> rows = [];
        while (clock.Elapsed < limit)
        {
            rows = await NodeStatusReader.ReadAsync(endpoints, NodeStatusReader.DefaultTimeout);
            if (condition(rows)) return rows;
            await Task.Delay(500);
        }

        throw new TimeoutException($"no {what} within {limit.TotalSeconds:0} s: {TestCluster.Describe(rows)}\nhosts' logs in {Directory}/logs");
    }

    public async Task<string> AgreedLeaderAsync(int answering = Nodes, string? except = null)
    {
        var rows = await WaitForAsync(except is null ? "agreed leader" : $"agreed leader other than {except}",
            rows => TestCluster.AgreedLeader(rows, Nodes) is { } leader && leader != except &&
                    rows.Count(r => r.Status is not null) >= answering, TimeSpan.FromSeconds(90));
        return TestCluster.AgreedLeader(rows, Nodes)!;
    }
}

[Collection(RealProcesses.Name)]
public sealed class HostsTests(NetnsHosts hosts) : IClassFixture<NetnsHosts>
{
    /// <summary>Issue 15: real partitions between hosts (routes that discard every packet between two
    /// addresses, so the silos meet silence, as on a real network) and a real kill, while clients write and read
    /// through the hosts' gateways; the history, with a final read of every key, must be linearizable.</summary>
    [HostsFact]
    public async Task Silos_on_three_hosts_over_postgres_survive_real_partitions_and_a_kill_without_losing_a_write()
    {
        var first = await hosts.AgreedLeaderAsync();
        var history = await MembershipRun.UnderLoadAsync(hosts.Directory, hosts.Target, async () =>
        {
            // The leader cut off from both followers: they elect one of themselves; the old leader cannot commit.
            await hosts.RunAsync("isolate", first);
            var second = await hosts.AgreedLeaderAsync(answering: NetnsHosts.Nodes - 1, except: first);
            await hosts.RunAsync("heal");
            await hosts.WaitForAsync($"{first} to follow {second}", rows =>
                rows.Single(r => r.Node == first).Status?.Leader is { } leader && leader != first, TimeSpan.FromSeconds(60));

            // A bridge: the two followers cannot reach each other, only the leader reaches both. The leader keeps
            // a majority through either of them, so it goes on committing; nobody may be elected past it.
            var followers = Enumerable.Range(1, NetnsHosts.Nodes).Select(i => $"n{i}").Where(n => n != second).ToArray();
            await hosts.RunAsync("cut", followers[0], followers[1]);
            await Task.Delay(TimeSpan.FromSeconds(3));
            await hosts.RunAsync("heal");

            // kill -9 of the leader's silo, then it comes back from PostgreSQL.
            var killed = await hosts.AgreedLeaderAsync();
            await hosts.RunAsync("kill", killed);
            await hosts.AgreedLeaderAsync(answering: NetnsHosts.Nodes - 1, except: killed);
            await hosts.RunAsync("start", killed);
            await hosts.WaitForAsync($"{killed} back as a follower", rows =>
                rows.Single(r => r.Node == killed).Status?.Role == NodeRole.Follower, TimeSpan.FromSeconds(120));
        });

        await FinalReads.AssertLinearizableAsync(hosts.Target, history);
    }
}
