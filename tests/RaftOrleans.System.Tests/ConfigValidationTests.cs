using System.Diagnostics;
using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

/// <summary>A silo with a bad configuration stops at once with ONE line naming the file and the key, and a
/// non-zero exit code: nothing half-starts.</summary>
[Collection(RealProcesses.Name)]
public sealed class ConfigValidationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("raftorleans-config-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> BadConfigurations =>
    [
        "missing file", "malformed JSON", "misspelt key", "bad port", "unknown storage kind", "bad override", "unreachable database",
        "oversized snapshot chunk", "negative snapshot trailing entries",
        "metrics port is the gateway port", "metrics port out of range", "bad OTLP endpoint",
        "misspelt environment variable", "bad environment value", "lease reads without check-quorum",
        "unknown raft key", "unreadable connection string file", "connection string and its file",
        "bad log level", "bad console format",
    ];

    [Theory]
    [MemberData(nameof(BadConfigurations))]
    public async Task A_bad_configuration_stops_the_silo_with_one_line_naming_where(string badConfiguration)
    {
        var (siloArgs, lineMentions, secret) = Arrange(badConfiguration);

        var (exitCode, errorLines) = await RunSiloAsync(siloArgs, EnvironmentOf(badConfiguration));

        Assert.Equal(2, exitCode);
        var line = Assert.Single(errorLines);
        foreach (var mention in lineMentions)
        {
            Assert.Contains(mention, line);
        }
        if (secret is not null)
        {
            Assert.DoesNotContain(secret, line);
        }
    }

    /// <summary>RAFTORLEANS_ variables the silo starts with, for the cases that put the bad value there.</summary>
    private static Dictionary<string, string> EnvironmentOf(string badConfiguration) => badConfiguration switch
    {
        "misspelt environment variable" => new() { ["RAFTORLEANS_Raft__ElectonTicks"] = "20" },
        "bad environment value" => new() { ["RAFTORLEANS_Raft__PreVote"] = "maybe" },
        "connection string and its file" => new() { ["RAFTORLEANS_Storage__ConnectionStringFile"] = "/nonexistent/pg" },
        "bad log level" => new() { ["RAFTORLEANS_Logging__LogLevel__Default"] = "Verbose" },
        _ => [],
    };

    /// <summary>The silo's arguments for one bad configuration, what its one error line must mention, and a
    /// secret it must not print.</summary>
    private (string[] SiloArgs, string[] LineMentions, string? Secret) Arrange(string badConfiguration)
    {
        switch (badConfiguration)
        {
            case "missing file":
                var missing = Path.Combine(_folder, "nope.json");
                return (["--config", missing], [missing, "no such file"], null);
            case "malformed JSON":
                var malformed = Path.Combine(_folder, "malformed.json");
                File.WriteAllText(malformed, "{ \"node\": \"n1\",\n  \"siloPort\": }");
                return (["--config", malformed], [malformed, "not valid JSON (line 2)"], null);
            case "misspelt key":
                var misspelt = Path.Combine(_folder, "misspelt.json");
                File.WriteAllText(misspelt, File.ReadAllText(WriteConfig("base.json")).Replace("\"gatewayPort\"", "\"gatwayPort\""));
                return (["--config", misspelt], [$"{misspelt}: gatwayPort", "unknown key", "gatewayPort"], null);
            case "bad port":
                var badPort = WriteConfig("bad-port.json", siloPort: "70000");
                return (["--config", badPort], [$"{badPort}: siloPort", "70000"], null);
            case "unknown storage kind":
                var badStorage = WriteConfig("bad-storage.json", storageKind: "mongodb");
                return (["--config", badStorage], [$"{badStorage}: storage.kind", "mongodb"], null);
            case "bad override":
                return (["--config", WriteConfig("good.json"), "--gateway-port", "http"], ["option --gateway-port", "'http'"], null);
            case "unreachable database":
                // Port 1 on loopback: nothing listens there, the connection is refused at once.
                var unreachable = WriteConfig("unreachable.json", storageKind: "postgres",
                    storageConnection: "Host=127.0.0.1;Port=1;Username=raft;Password=secret-word;Database=raft;Timeout=3");
                return (["--config", unreachable], [$"{unreachable}: storage.connectionString", "127.0.0.1"], "secret-word");
            case "oversized snapshot chunk":
                var bigChunk = WriteConfig("big-chunk.json", raftExtra: "\"snapshotThresholdEntries\": 500, \"snapshotChunkBytes\": 99999999");
                return (["--config", bigChunk], [$"{bigChunk}: raft.snapshotChunkBytes", "99999999"], null);
            case "negative snapshot trailing entries":
                return (["--config", WriteConfig("good.json"), "--snapshot-trailing-entries", "-5"],
                    ["option --snapshot-trailing-entries", "'-5'"], null);
            case "metrics port is the gateway port":
                return (["--config", WriteConfig("good.json"), "--metrics-port", "23311"], ["option --metrics-port", "gateway port"], null);
            case "metrics port out of range":
                var badMetrics = WriteConfig("bad-metrics.json", extra: "\"metrics\": { \"port\": 99999 }");
                return (["--config", badMetrics], [$"{badMetrics}: metrics.port", "99999"], null);
            case "bad OTLP endpoint":
                var badOtlp = WriteConfig("bad-otlp.json", extra: "\"metrics\": { \"otlpEndpoint\": \"localhost:4318\" }");
                return (["--config", badOtlp], [$"{badOtlp}: metrics.otlpEndpoint", "localhost:4318"], null);
            case "misspelt environment variable":
                return (["--config", WriteConfig("good.json")], ["environment variable RAFTORLEANS_Raft__ElectonTicks", "unknown key", "raft.electionTicks"], null);
            case "bad environment value":
                return (["--config", WriteConfig("good.json")], ["environment variable RAFTORLEANS_Raft__PreVote", "'maybe'", "true or false"], null);
            case "lease reads without check-quorum":
                var noQuorum = WriteConfig("no-quorum.json", raftExtra: "\"leaseReads\": true");
                return (["--config", noQuorum, "--check-quorum", "false"], [$"{noQuorum}: raft.leaseReads", "checkQuorum"], null);
            case "unknown raft key":
                var unknownRaft = WriteConfig("unknown-raft.json", raftExtra: "\"electionTimeoutMs\": 300");
                return (["--config", unknownRaft], [$"{unknownRaft}: raft.electionTimeoutMs", "unknown key", "raft.electionTicks"], null);
            case "unreadable connection string file":
                var noSecret = Path.Combine(_folder, "no-such-secret");
                return (["--config", WriteConfig("pg-file.json", storageKind: "postgres", storageExtra: $"\"connectionStringFile\": \"{noSecret}\"")],
                    ["storage.connectionStringFile", noSecret], null);
            case "connection string and its file":
                var both = WriteConfig("both.json", storageKind: "postgres", storageConnection: "Host=127.0.0.1;Password=secret-word");
                return (["--config", both], ["environment variable RAFTORLEANS_Storage__ConnectionStringFile", "not both"], "secret-word");
            case "bad log level":
                return (["--config", WriteConfig("good.json")], ["environment variable RAFTORLEANS_Logging__LogLevel__Default", "'Verbose'", "Warning"], null);
            case "bad console format":
                var badFormat = WriteConfig("bad-format.json", extra: "\"logging\": { \"console\": { \"formatterName\": \"xml\" } }");
                return (["--config", badFormat], [$"{badFormat}: logging.console.formatterName", "'xml'", "json"], null);
            default:
                throw new ArgumentOutOfRangeException(nameof(badConfiguration), badConfiguration, "no such case");
        }
    }

    private string WriteConfig(string name, string siloPort = "23301", string storageKind = "sqlite", string? storageConnection = null,
        string? raftExtra = null, string? extra = null, string? storageExtra = null)
    {
        var connection = (storageConnection is null ? "" : $", \"connectionString\": \"{storageConnection}\"")
            + (storageExtra is null ? "" : ", " + storageExtra);
        var raft = raftExtra is null ? "" : ", " + raftExtra;
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, $$"""
            {
              "node": "n1",
              "siloPort": {{siloPort}},
              "gatewayPort": 23311,
              "dataDir": "data",
              "storage": { "kind": "{{storageKind}}"{{connection}} },
              "raft": { "voters": ["n1", "n2", "n3"]{{raft}} }{{(extra is null ? "" : ",\n  " + extra)}}
            }
            """);
        return path;
    }

    private static async Task<(int ExitCode, IReadOnlyList<string> ErrorLines)> RunSiloAsync(string[] args, IReadOnlyDictionary<string, string> environment)
    {
        var dll = SiloBuild.EnsureBuilt(RepositoryRoot.Find(), TextWriter.Null, TestSilo.Dll);
        var start = new ProcessStartInfo(DotnetHost.Path) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the silo did not exit within 60 s on a bad configuration; stdout: {await stdout}");
        }

        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (process.ExitCode, lines);
    }
}

/// <summary>Tests that start processes run one class at a time: two clusters at once starve a 2-core machine.</summary>
[CollectionDefinition(Name)]
public sealed class RealProcesses
{
    public const string Name = "real silo processes";
}
