using System.Text.Json;
using RaftOrleans.Launcher;
using Xunit.Abstractions;
using System.Diagnostics;
using RaftOrleans.Client;
using RaftOrleans.Cli.Kv;
using RaftOrleans.History;
using RaftOrleans.History.Checker;

namespace RaftOrleans.System.Tests;

public sealed class KvThreeNodeCluster() : TestCluster(basePort: 23400)
{
    protected override UpOptions Options => new() { Nodes = 3 };
}

/// <summary>The key-value console and `raftctl load` against real silo processes: exit codes, and histories
/// recorded while the leader is killed or frozen, judged by the linearizability checker.</summary>
[Collection(RealProcesses.Name)]
public sealed class KvClientTests(KvThreeNodeCluster cluster, ITestOutputHelper testOutput) : IClassFixture<KvThreeNodeCluster>
{
    private const int ClusterSize = 3;
    private string[] ClusterOption => ["--cluster-dir", cluster.Directory];

    [Fact]
    public async Task Put_then_get_through_the_console()
    {
        await cluster.EnsureHealthyAsync();

        var put = await RunAsync("put", "greeting", "hello world");
        var get = await RunAsync("get", "greeting");
        var stale = await RunAsync("get", "greeting", "--stale");

        Assert.True(put.ExitCode == 0, put.Error);
        Assert.True(get.ExitCode == 0, get.Error);
        Assert.Equal("hello world", get.Output.Trim());
        Assert.True(stale.ExitCode == 0, stale.Error);

        // -w json, as etcdctl: one object per answer, with the entry's revisions.
        var putJson = await RunAsync("put", "greeting/json", "v1", "-w", "json");
        var getJson = await RunAsync("get", "greeting/json", "--write-out=json");
        var listJson = await RunAsync("list", "greeting", "-w", "json");
        Assert.True(putJson.ExitCode == 0 && getJson.ExitCode == 0 && listJson.ExitCode == 0, putJson.Error + getJson.Error + listJson.Error);
        using var written = JsonDocument.Parse(putJson.Output);
        using var read = JsonDocument.Parse(getJson.Output);
        Assert.Equal("v1", read.RootElement.GetProperty("value").GetString());
        Assert.Equal(written.RootElement.GetProperty("mod_revision").GetInt64(), read.RootElement.GetProperty("mod_revision").GetInt64());
        Assert.Equal(1, read.RootElement.GetProperty("version").GetInt64());
        using var listed = JsonDocument.Parse(listJson.Output);
        Assert.Equal(["greeting", "greeting/json"],
            listed.RootElement.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("key").GetString()!).ToArray());
        Assert.False(listed.RootElement.GetProperty("more").GetBoolean());

        var badFormat = await RunAsync("get", "greeting", "-w", "yaml");
        Assert.Equal(2, badFormat.ExitCode);
        Assert.Contains("simple or json", badFormat.Error);
    }

    [Fact]
    public async Task Console_exit_codes_for_refusals_and_usage_errors()
    {
        await cluster.EnsureHealthyAsync();
        Assert.Equal(0, (await RunAsync("put", "cas-key", "actual")).ExitCode);

        var casMismatch = await RunAsync("cas", "cas-key", "expected", "new");
        var casAbsentOnly = await RunAsync("cas", "cas-key", "--absent", "new");
        var missing = await RunAsync("get", "no-such-key");
        var usage = await RunAsync("put", "only-a-key");
        var tooLarge = await RunAsync("put", "k", new string('x', 1024 * 1024 + 1));

        Assert.Equal(1, casMismatch.ExitCode);
        Assert.Contains("actual", casMismatch.Error);
        Assert.Equal(1, casAbsentOnly.ExitCode);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal(2, usage.ExitCode);
        Assert.Equal(2, tooLarge.ExitCode);
        Assert.Single(tooLarge.Error.Trim().Split('\n'));
        Assert.Equal("actual", (await RunAsync("get", "cas-key")).Output.Trim());
    }

    [Fact]
    public async Task A_call_waiting_on_a_silo_that_gets_killed_ends_as_connection_lost_not_as_a_timeout()
    {
        await cluster.EnsureHealthyAsync();
        var rows = await cluster.StatusAsync();
        var leader = TestCluster.AgreedLeader(rows, ClusterSize) ?? throw new InvalidOperationException("no leader");
        var victim = rows.First(row => row.Node != leader).Node;
        await using var channel = new OrleansNodeChannel(cluster.Launcher.State.Endpoints());
        await channel.GetStatusAsync(victim, CancellationToken.None); // connected to the victim's silo

        cluster.Launcher.Pause(victim); // frozen: the call below waits...
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var pending = channel.GetStatusAsync(victim, patience.Token);
        cluster.Launcher.Kill(victim); // ...until the socket closes

        // Orleans alone would end it only at the client's response timeout, as a TimeoutException.
        var error = await Assert.ThrowsAnyAsync<Exception>(() => pending);
        Assert.IsType<NodeConnectionLostException>(error);
        Assert.False(patience.IsCancellationRequested);
    }

    [Fact]
    public async Task With_no_silo_running_a_command_exits_3_saying_so_without_waiting_for_its_deadline()
    {
        var config = Path.Combine(cluster.Directory, "nowhere.json");
        await File.WriteAllTextAsync(config, """
            { "clusterId": "nowhere", "nodes": { "n1": "127.0.0.1:23490", "n2": "127.0.0.1:23491", "n3": "127.0.0.1:23492" },
              "connectTimeoutMs": 2000 }
            """);

        foreach (var command in new[] { new[] { "put", "k", "v" }, ["get", "k"] })
        {
            var clock = Stopwatch.StartNew();
            var output = new StringWriter();
            var error = new StringWriter();
            // A deadline far beyond the test's patience: only the "nothing listens anywhere" rule ends it early.
            var exitCode = await KvCommandLine.RunAsync(command[0], [.. command[1..], "--client-config", config, "--command-timeout", "10m"], output, error)
                .WaitAsync(TimeSpan.FromMinutes(1));
            testOutput.WriteLine($"raftctl {command[0]} with no silo running: exit {exitCode} after {clock.Elapsed.TotalMilliseconds:0} ms: {error}");

            Assert.True(exitCode == 3, $"exit {exitCode}: {error}");
            Assert.Contains("no node is running", error.ToString());
            Assert.Contains("cluster up", error.ToString());
            foreach (var port in new[] { 23490, 23491, 23492 }) Assert.Contains($"127.0.0.1:{port}", error.ToString());
        }
    }

    /// <summary>raftctl packed with `dotnet pack` installs as a .NET tool and, run from a folder outside the
    /// checkout, works against a cluster named by --cluster-dir; with no cluster named it says how to name one.</summary>
    [Fact]
    public async Task Raftctl_installed_as_a_dotnet_tool_works_outside_the_checkout()
    {
        await cluster.EnsureHealthyAsync();
        var work = Directory.CreateTempSubdirectory("raftctl-tool-").FullName;
        try
        {
            var project = Path.Combine(RepositoryRoot.Find(), "src", "RaftOrleans.Raftctl", "RaftOrleans.Raftctl.csproj");
            var packages = Path.Combine(work, "packages");
            var tools = Path.Combine(work, "tools");
            await AssertExitsAsync(0, await ProcessAsync(work, DotnetHost.Path, "pack", project, "-c", "Release", "--no-build", "-o", packages));
            await AssertExitsAsync(0, await ProcessAsync(work, DotnetHost.Path, "tool", "install", "--tool-path", tools, "--add-source", packages, "RaftOrleans.Raftctl"));
            var raftctl = Path.Combine(tools, "raftctl");

            await AssertExitsAsync(0, await ProcessAsync(work, raftctl, ["put", "tool-key", "tool-value", "--command-timeout", "60s", .. ClusterOption]));
            var get = await ProcessAsync(work, raftctl, ["get", "tool-key", "--command-timeout", "60s", .. ClusterOption]);
            await AssertExitsAsync(0, get);
            Assert.Equal("tool-value", get.Output.Trim());

            var nowhere = await ProcessAsync(work, raftctl, "status");
            await AssertExitsAsync(2, nowhere);
            Assert.Contains("--client-config", nowhere.Error);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static Task AssertExitsAsync(int expected, (int ExitCode, string Output, string Error) run)
    {
        Assert.True(run.ExitCode == expected, $"exit {run.ExitCode}, expected {expected}: {run.Error}\n{run.Output}");
        return Task.CompletedTask;
    }

    /// <summary>Runs a program in <paramref name="folder"/> without RAFTORLEANS_ROOT (so nothing points it at the
    /// checkout), killed after 3 minutes.</summary>
    private static async Task<(int ExitCode, string Output, string Error)> ProcessAsync(string folder, string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment.Remove("RAFTORLEANS_ROOT");
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not end within 3 minutes");
        }
        return (process.ExitCode, await output, await error);
    }

    [Fact]
    public async Task Load_while_the_leader_is_killed_stays_linearizable()
    {
        await cluster.EnsureHealthyAsync();
        var leader = TestCluster.AgreedLeader(await cluster.StatusAsync(), ClusterSize) ?? throw new InvalidOperationException("no leader");

        var history = await LoadWithFaultAsync(() => cluster.Launcher.Kill(leader), () => { });

        await AssertLinearizableWithFinalReadsAsync(history);
    }

    [Fact]
    public async Task Load_while_the_leader_is_frozen_stays_linearizable()
    {
        await cluster.EnsureHealthyAsync();
        var leader = TestCluster.AgreedLeader(await cluster.StatusAsync(), ClusterSize) ?? throw new InvalidOperationException("no leader");

        List<HistoryEvent> history;
        try
        {
            history = await LoadWithFaultAsync(() => cluster.Launcher.Pause(leader), () => cluster.Launcher.Resume(leader));
        }
        finally
        {
            cluster.Launcher.Resume(leader);
        }

        await AssertLinearizableWithFinalReadsAsync(history);
    }

    /// <summary>Runs `raftctl load` for 14 s; <paramref name="fault"/> strikes after 4 s, <paramref name="heal"/> after 10 s.</summary>
    private async Task<List<HistoryEvent>> LoadWithFaultAsync(Action fault, Action heal)
    {
        var file = Path.Combine(cluster.Directory, $"history-{Guid.NewGuid():N}.jsonl");
        var output = new StringWriter();
        var error = new StringWriter();
        var load = LoadCommand.RunAsync(["--clients", "4", "--seconds", "14", "--keys", "4", "--history", file, "--seed", "5", .. ClusterOption], output, error);
        await Task.Delay(TimeSpan.FromSeconds(4));
        fault();
        await Task.Delay(TimeSpan.FromSeconds(6));
        heal();
        var exitCode = await load;

        Assert.True(exitCode == 0, $"load exited {exitCode}: {error}\n{output}");
        var history = HistoryJson.ReadFile(file);
        // The cluster kept serving: writes succeeded after the fault (the recorder's clock started with the run).
        var afterFaultNs = TimeSpan.FromSeconds(9).Ticks * 100;
        Assert.True(history.Any(e => e.Type == HistoryEventType.Ok && e.Function != HistoryFunction.Get && e.TimeNs > afterFaultNs),
            $"no write succeeded after the fault:\n{output}");
        return history;
    }

    private Task AssertLinearizableWithFinalReadsAsync(List<HistoryEvent> history) => FinalReads.AssertLinearizableAsync(cluster, history);

    private async Task<(int ExitCode, string Output, string Error)> RunAsync(string verb, params string[] words)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await KvCommandLine.RunAsync(verb, [.. words, .. ClusterOption], output, error);
        return (exitCode, output.ToString(), error.ToString());
    }
}
