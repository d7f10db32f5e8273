using System.Diagnostics;
using RaftOrleans.Cli.Cluster;

namespace RaftOrleans.System.Tests;

/// <summary>A silo with a bad configuration stops at once with ONE line naming the file and the key, and a
/// non-zero exit code: nothing half-starts.</summary>
[Collection(RealProcesses.Name)]
public sealed class ConfigValidationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("raftorleans-config-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_missing_file_is_named()
    {
        var missing = Path.Combine(_folder, "nope.json");

        var (exitCode, errorLines) = await RunSiloAsync("--config", missing);

        Assert.NotEqual(0, exitCode);
        var line = Assert.Single(errorLines);
        Assert.Contains(missing, line);
        Assert.Contains("no such file", line);
    }

    [Fact]
    public async Task A_bad_port_names_the_file_and_the_key()
    {
        var file = WriteConfig("bad-port.json", siloPort: "70000");

        var (exitCode, errorLines) = await RunSiloAsync("--config", file);

        Assert.NotEqual(0, exitCode);
        var line = Assert.Single(errorLines);
        Assert.Contains($"{file}: siloPort", line);
        Assert.Contains("70000", line);
    }

    [Fact]
    public async Task An_unknown_storage_kind_names_the_file_and_the_key()
    {
        var file = WriteConfig("bad-storage.json", storageKind: "mongodb");

        var (exitCode, errorLines) = await RunSiloAsync("--config", file);

        Assert.NotEqual(0, exitCode);
        var line = Assert.Single(errorLines);
        Assert.Contains($"{file}: storage.kind", line);
        Assert.Contains("mongodb", line);
    }

    [Fact]
    public async Task A_bad_override_names_the_option()
    {
        var file = WriteConfig("good.json");

        var (exitCode, errorLines) = await RunSiloAsync("--config", file, "--gateway-port", "http");

        Assert.NotEqual(0, exitCode);
        var line = Assert.Single(errorLines);
        Assert.Contains("option --gateway-port", line);
        Assert.Contains("'http'", line);
    }

    [Fact]
    public async Task An_unreachable_database_names_the_file_and_the_key()
    {
        // Port 1 on loopback: nothing listens there, the connection is refused at once.
        var file = WriteConfig("unreachable.json", storageKind: "postgres",
            storageConnection: "Host=127.0.0.1;Port=1;Username=raft;Password=secret-word;Database=raft;Timeout=3");

        var (exitCode, errorLines) = await RunSiloAsync("--config", file);

        Assert.NotEqual(0, exitCode);
        var line = Assert.Single(errorLines);
        Assert.Contains($"{file}: storage.connectionString", line);
        Assert.Contains("127.0.0.1", line);
        Assert.DoesNotContain("secret-word", line);
    }

    private string WriteConfig(string name, string siloPort = "23301", string storageKind = "sqlite", string? storageConnection = null)
    {
        var connection = storageConnection is null ? "" : $", \"connectionString\": \"{storageConnection}\"";
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, $$"""
            {
              "node": "n1",
              "siloPort": {{siloPort}},
              "gatewayPort": 23311,
              "dataDir": "data",
              "storage": { "kind": "{{storageKind}}"{{connection}} },
              "raft": { "voters": ["n1", "n2", "n3"] }
            }
            """);
        return path;
    }

    private static async Task<(int ExitCode, IReadOnlyList<string> ErrorLines)> RunSiloAsync(params string[] args)
    {
        var dll = SiloBuild.EnsureBuilt(RepositoryRoot.Find(), TextWriter.Null, TestSilo.Dll);
        var start = new ProcessStartInfo(DotnetHost.Path) { RedirectStandardError = true, RedirectStandardOutput = true };
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
