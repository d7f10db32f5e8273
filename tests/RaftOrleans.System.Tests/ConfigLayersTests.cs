using RaftOrleans.Contracts;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using RaftOrleans.Launcher;
using RaftOrleans.Client;
using RaftOrleans.Client.Connections;

namespace RaftOrleans.System.Tests;

/// <summary>The README's configuration example, run: one setting (raft.snapshotThresholdEntries) given in the node
/// file, overridden by a RAFTORLEANS_ environment variable, overridden in turn by a command-line option. The effect
/// is seen from outside, in the node's status: a snapshot is taken after a few writes only when the value that
/// wins is the small one.</summary>
[Collection(RealProcesses.Name)]
public sealed class ConfigLayersTests : IDisposable
{
    /// <summary>Ports 28000-28014: silo 28000+i, gateway 28010+i, one pair per run; 28020 the client's gateway nobody serves.</summary>
    private const int BasePort = 28000;
    private const int Writes = 30;
    private const string Small = "20";
    private const string Large = "100000";

    private readonly string _folder = Directory.CreateTempSubdirectory("raftorleans-layers-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>With RAFTORLEANS_ROOT set, as the ./raftctl wrapper sets it for every silo it starts: the launcher's
    /// own variable is not an unknown key of the silo's.</summary>
    [Fact]
    public Task The_file_sets_the_snapshot_threshold() =>
        AssertSnapshotTakenAsync(0, fileValue: Small, environment: new() { ["RAFTORLEANS_ROOT"] = RepositoryRoot.Find() }, options: []);

    [Fact]
    public Task An_environment_variable_overrides_the_file() =>
        AssertSnapshotTakenAsync(1, fileValue: Large,
            environment: new() { ["RAFTORLEANS_Raft__SnapshotThresholdEntries"] = Small }, options: []);

    [Fact]
    public Task An_option_overrides_the_environment_variable() =>
        AssertSnapshotTakenAsync(2, fileValue: Large,
            environment: new() { ["RAFTORLEANS_Raft__SnapshotThresholdEntries"] = Large }, options: ["--snapshot-threshold-entries", Small]);

    /// <summary>The console format and the levels come from the same layers: JSON lines, chosen by a variable, carry
    /// the source-generated event ids (2000 the silo is up, 1001 a role change); a level from the file silences the
    /// node's information lines.</summary>
    [Fact]
    public async Task The_log_format_and_levels_come_from_configuration()
    {
        var (_, json) = await RunAndWriteAsync(3, fileValue: Large,
            environment: new() { ["RAFTORLEANS_Logging__Console__FormatterName"] = "json" }, options: [], waitForSnapshot: false);
        var events = json.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement)
            .Select(entry => (Id: entry.GetProperty("EventId").GetInt32(), Category: entry.GetProperty("Category").GetString())).ToArray();
        Assert.Contains((2000, "RaftOrleans.Silo"), events);
        Assert.Contains(events, entry => entry.Id == 1001 && entry.Category == "RaftOrleans.Grains.Node.RaftNodeGrain");

        var (_, quiet) = await RunAndWriteAsync(4, fileValue: Large, environment: [], options: [], waitForSnapshot: false,
            fileExtra: "\"logging\": { \"logLevel\": { \"RaftOrleans\": \"Warning\" } }");
        Assert.DoesNotContain("is leader in term", quiet);
        Assert.DoesNotContain(" up: silo ", quiet);
    }

    /// <summary>The client config has the same environment layer, under RAFTORLEANS_Client__: a variable replaces
    /// client.json's gateway of n1 (a bad one here, so raftctl refuses it naming the variable, exit 2), and a silo's
    /// variable is none of the client's business (nobody listens at the file's gateway: exit 3, unavailable).</summary>
    [Fact]
    public async Task The_client_reads_its_own_variables_over_client_json()
    {
        var config = Path.Combine(_folder, "client.json");
        File.WriteAllText(config, $$"""{ "clusterId": "layers-client", "nodes": { "n1": "127.0.0.1:{{BasePort + 20}}" }, "connectTimeoutMs": 1000 }""");

        var (overridden, overriddenError) = await RaftctlAsync(["status", "--client-config", config],
            new() { ["RAFTORLEANS_Client__Nodes__n1"] = "nowhere" });
        var (unrelated, unrelatedError) = await RaftctlAsync(["status", "--client-config", config],
            new() { ["RAFTORLEANS_Raft__ElectionTicks"] = "20" });

        Assert.True(overridden == 2, $"exit {overridden}: {overriddenError}");
        Assert.Contains("environment variable RAFTORLEANS_Client__Nodes__n1", overriddenError);
        Assert.Contains("'nowhere'", overriddenError);
        Assert.True(unrelated == 3, $"exit {unrelated}: {unrelatedError}");
    }

    private static async Task<(int ExitCode, string Error)> RaftctlAsync(string[] arguments, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(DotnetHost.Path) { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(TestRaftctl.Dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var raftctl = Process.Start(start)!;
        var output = raftctl.StandardOutput.ReadToEndAsync();
        var error = raftctl.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await raftctl.WaitForExitAsync(limit.Token);
        _ = await output;
        return (raftctl.ExitCode, await error);
    }

    private async Task AssertSnapshotTakenAsync(int slot, string fileValue, Dictionary<string, string> environment, string[] options)
    {
        var (status, _) = await RunAndWriteAsync(slot, fileValue, environment, options, waitForSnapshot: true);
        Assert.True(status.SnapshotIndex > 0,
            $"a threshold of {Small} entries should have given a snapshot after {Writes} writes: applied {status.AppliedIndex}, snapshot {status.SnapshotIndex}");
    }

    /// <summary>Starts a one-node silo, writes <see cref="Writes"/> keys and returns the node's status once it applied
    /// them (and, when asked, once it reports a snapshot or 20 s passed), with what the silo wrote on stdout.</summary>
    private async Task<(Contracts.NodeStatus Status, string Output)> RunAndWriteAsync(int slot, string fileValue, Dictionary<string, string> environment,
        string[] options, bool waitForSnapshot, string? fileExtra = null)
    {
        var siloPort = BasePort + slot;
        var gatewayPort = BasePort + 10 + slot;
        var clusterId = $"layers-{siloPort}";
        var config = Path.Combine(_folder, $"n1-{slot}.json");
        File.WriteAllText(config, $$"""
            {
              "node": "n1", "clusterId": "{{clusterId}}", "siloPort": {{siloPort}}, "gatewayPort": {{gatewayPort}},
              "dataDir": "data-{{slot}}",
              "raft": { "voters": ["n1"], "snapshotThresholdEntries": {{fileValue}} }{{(fileExtra is null ? "" : ",\n  " + fileExtra)}}
            }
            """);
        var dll = SiloBuild.EnsureBuilt(RepositoryRoot.Find(), TextWriter.Null, TestSilo.Dll);
        var start = new ProcessStartInfo(DotnetHost.Path) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in (string[])[dll, "--config", config, .. options])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var silo = Process.Start(start)!;
        var output = silo.StandardOutput.ReadToEndAsync();
        var errors = silo.StandardError.ReadToEndAsync();
        Contracts.NodeStatus last;
        try
        {
            var cluster = new ClusterEndpoints
            {
                ClusterId = clusterId,
                Nodes = [new NodeEndpoint("n1", new IPEndPoint(IPAddress.Loopback, gatewayPort))],
            };
            await WaitForAsync(cluster, silo, status => status.Role == NodeRole.Leader, TimeSpan.FromSeconds(90), "n1 leads");
            await using (var channel = new OrleansNodeChannel(cluster))
            {
                var client = new RaftKvClient(channel);
                for (var i = 0; i < Writes; i++)
                {
                    await client.PutAsync($"layers/{i}", "value");
                }
            }

            last = await WaitForAsync(cluster, silo,
                status => status.AppliedIndex >= Writes && (!waitForSnapshot || status.SnapshotIndex > 0), TimeSpan.FromSeconds(20), null);
        }
        finally
        {
            if (!silo.HasExited)
            {
                silo.Kill(entireProcessTree: true);
            }

            await silo.WaitForExitAsync();
        }

        _ = await errors;
        return (last, await output);
    }

    /// <summary>Polls the node's status until <paramref name="condition"/> holds; at the deadline returns the last
    /// status seen (<paramref name="what"/> null) or fails naming what was awaited.</summary>
    private static async Task<Contracts.NodeStatus> WaitForAsync(ClusterEndpoints cluster, Process silo,
        Func<Contracts.NodeStatus, bool> condition, TimeSpan limit, string? what)
    {
        var clock = Stopwatch.StartNew();
        NodeStatusRow? last = null;
        while (true)
        {
            Assert.False(silo.HasExited, $"the silo exited with code {(silo.HasExited ? silo.ExitCode : 0)}");
            last = (await NodeStatusReader.ReadAsync(cluster, NodeStatusReader.DefaultTimeout))[0];
            if (last.Status is { } status && (condition(status) || (clock.Elapsed > limit && what is null)))
            {
                return status;
            }

            Assert.True(clock.Elapsed < limit, $"{what ?? "a status"} within {limit.TotalSeconds:0} s; last seen: {last.Status?.ToString() ?? last.Error}");
            await Task.Delay(250);
        }
    }
}
