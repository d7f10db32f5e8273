using RaftOrleans.Contracts;
using RaftOrleans.Hosting.Database;
using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

/// <summary>Runs only where a PostgreSQL server is given in RAFT_TEST_POSTGRES (.ci/run sets it up);
/// elsewhere the test is reported as skipped, with the reason.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public static string? ConnectionString => Environment.GetEnvironmentVariable("RAFT_TEST_POSTGRES");

    public PostgresFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            Skip = "RAFT_TEST_POSTGRES is not set (bash .ci/run installs PostgreSQL and sets it)";
        }
    }
}

public sealed class ThreeNodePostgresCluster() : TestCluster(basePort: 23200)
{
    protected override UpOptions Options => new()
    {
        Nodes = 3,
        Storage = DatabaseKind.Postgres,
        PostgresConnection = PostgresFactAttribute.ConnectionString,
    };

    public override Task InitializeAsync() =>
        string.IsNullOrWhiteSpace(PostgresFactAttribute.ConnectionString) ? Task.CompletedTask : base.InitializeAsync();
}

/// <summary>The same cluster with storage and membership in PostgreSQL, as on several machines.</summary>
[Collection(RealProcesses.Name)]
public sealed class PostgresTests(ThreeNodePostgresCluster cluster) : IClassFixture<ThreeNodePostgresCluster>
{
    private const int ClusterSize = 3;

    [PostgresFact]
    public async Task A_postgres_cluster_elects_a_leader_and_survives_its_kill()
    {
        var rows = await cluster.StatusAsync();
        var oldLeader = TestCluster.AgreedLeader(rows, ClusterSize);
        Assert.True(oldLeader is not null, $"no agreed leader: {TestCluster.Describe(rows)}");
        Assert.Equal(DatabaseKind.Postgres, cluster.Launcher.State.StorageKind);
        Assert.Equal(DatabaseKind.Postgres, cluster.Launcher.State.ClusteringKind);

        cluster.Launcher.Kill(oldLeader);

        await cluster.WaitForAsync($"a new leader after {oldLeader} was killed",
            now => TestCluster.AgreedLeader(now, ClusterSize) is { } leader && leader != oldLeader, TimeSpan.FromSeconds(60));

        cluster.Launcher.Start(oldLeader);
        await cluster.WaitForAsync($"{oldLeader} restarted from PostgreSQL follows the new leader",
            now => now.Single(row => row.Node == oldLeader).Status?.Role == NodeRole.Follower, TestCluster.StartLimit);
    }

    /// <summary>Every local user can read a process's command line (/proc/PID/cmdline) and cluster.json sits in the
    /// checkout: the PostgreSQL password must be in neither, nor in the silo's environment; it stays in a file only
    /// its owner can read, which the connection string names.</summary>
    [PostgresFact]
    [global::System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_postgres_password_is_not_on_a_silo_command_line_nor_in_cluster_json()
    {
        await cluster.EnsureHealthyAsync();
        var state = cluster.Launcher.State;
        var running = state.Nodes.Where(node => SiloProcess.IsRunning(state, node)).ToArray();
        Assert.NotEmpty(running);

        foreach (var node in running)
        {
            var commandLine = File.ReadAllText($"/proc/{node.Pid}/cmdline").Replace('\0', ' ');
            Assert.DoesNotContain("password", commandLine, StringComparison.OrdinalIgnoreCase);
            var environment = File.ReadAllText($"/proc/{node.Pid}/environ").Split('\0');
            var storage = Assert.Single(environment, variable => variable.StartsWith("RAFTORLEANS_Storage__ConnectionString=", StringComparison.Ordinal));
            Assert.DoesNotContain("Password=", storage, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("Passfile=", storage, StringComparison.OrdinalIgnoreCase);
        }

        Assert.DoesNotContain("password", File.ReadAllText(Path.Combine(cluster.Directory, ClusterState.FileName)), StringComparison.OrdinalIgnoreCase);
        var passfile = Path.Combine(cluster.Directory, PostgresPassfile.FileName);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passfile));
    }
}
