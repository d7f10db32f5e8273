using RaftOrleans.Cli;

namespace RaftOrleans.Cli.Tests;

/// <summary>One exit-code scheme for every command (README, "Exit codes"): 2 when nothing was tried (a bad
/// command line or a client config that does not load), 3 when no cluster answered. Each case runs the
/// command the way a user would, through raftctl's dispatch; none needs a running cluster. Refusals (1) and
/// interruptions (130) need a cluster and are tested with one (KvClientTests, MembershipTests, SignalTests).</summary>
public sealed class ExitCodeTests : IDisposable
{
    // Ports 26700-26702 on loopback, where nothing of this suite listens: every gateway refuses at once.
    private const string NobodyListens = """
        { "clusterId": "nobody-listens", "nodes": { "n1": "127.0.0.1:26700", "n2": "127.0.0.1:26701", "n3": "127.0.0.1:26702" },
          "connectTimeoutMs": 1000, "responseTimeoutMs": 1000 }
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("raftctl-exit-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<string[]> BadCommandLines => new()
    {
        new[] { "frobnicate" },
        new[] { "status", "--bogus" },
        new[] { "status", "extra" },
        new[] { "faults", "extra" },
        new[] { "partition", "n1" },
        new[] { "member", "frob" },
        new[] { "member", "add" },
        new[] { "move-leader" },
        new[] { "put", "only-a-key" },
        new[] { "get" },
        new[] { "cas", "k", "v" },
        new[] { "get", "k", "-w", "yaml" },
        new[] { "status", "-w", "simple" },
        new[] { "member", "add", "n4", "-w", "json" },
        new[] { "member", "add", "n4", "-w", "table" },
        new[] { "load", "--clients", "0" },
        new[] { "check" },
        new[] { "cluster", "frob" },
        new[] { "dashboard", "--bogus" },
        new[] { "bench", "cluster", "--nodes", "9" },
        new[] { "bench", "write", "--clients", "0" },
    };

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public async Task A_bad_command_line_exits_2_and_says_what_is_wrong(string[] args)
    {
        var (exitCode, error) = await RunAsync(args);

        Assert.True(exitCode == ExitCodes.Usage, $"raftctl {string.Join(' ', args)}: exit {exitCode}: {error}");
        Assert.StartsWith("raftctl", error);
    }

    /// <summary>Every command that talks to a cluster, as it would be given a client config.</summary>
    public static TheoryData<string[]> ClusterCommands => new()
    {
        new[] { "status", "--timeout-ms", "500" },
        new[] { "faults", "--timeout-ms", "500" },
        new[] { "member", "list", "--timeout-ms", "1000" },
        new[] { "get", "k", "--command-timeout", "2s" },
        new[] { "put", "k", "v", "--command-timeout", "2s" },
        new[] { "load", "--seconds", "1", "--clients", "1", "--keys", "2", "--history", "{dir}/history.jsonl" },
    };

    [Theory]
    [MemberData(nameof(ClusterCommands))]
    public async Task A_client_config_that_does_not_load_exits_2_naming_the_file_and_the_key(string[] args)
    {
        var config = Path.Combine(_directory, "client.json");
        await File.WriteAllTextAsync(config, """{ "clusterId": "c", "nodes": { "n1": "127.0.0.1:1" }, "gatewayz": 1 }""");

        var (exitCode, error) = await RunAsync([.. args, "--client-config", config]);

        Assert.True(exitCode == ExitCodes.Usage, $"raftctl {string.Join(' ', args)}: exit {exitCode}: {error}");
        Assert.Contains("client.json", error);
        Assert.Contains("gatewayz", error);
    }

    [Theory]
    [MemberData(nameof(ClusterCommands))]
    public async Task A_cluster_directory_with_no_cluster_exits_3(string[] args)
    {
        var (exitCode, error) = await RunAsync([.. args, "--cluster-dir", Path.Combine(_directory, "no-cluster-here")]);

        Assert.True(exitCode == ExitCodes.Unavailable, $"raftctl {string.Join(' ', args)}: exit {exitCode}: {error}");
        Assert.Contains("no-cluster-here", error);
    }

    [Theory]
    [MemberData(nameof(ClusterCommands))]
    public async Task A_cluster_where_no_node_answers_exits_3(string[] args)
    {
        var config = Path.Combine(_directory, "client.json");
        await File.WriteAllTextAsync(config, NobodyListens);

        var (exitCode, error) = await RunAsync([.. args, "--client-config", config]);

        Assert.True(exitCode == ExitCodes.Unavailable, $"raftctl {string.Join(' ', args)}: exit {exitCode}: {error}");
        Assert.NotEqual("", error);
    }

    /// <summary>Runs raftctl with <paramref name="args"/>, "{dir}" in them naming this test's directory.</summary>
    private async Task<(int ExitCode, string Error)> RunAsync(string[] args)
    {
        var error = new StringWriter();
        var exitCode = await Raftctl.RunAsync([.. args.Select(arg => arg.Replace("{dir}", _directory, StringComparison.Ordinal))], new StringWriter(), error);
        return (exitCode, error.ToString());
    }
}
