using Microsoft.Data.Sqlite;
using Npgsql;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.Grains.Storage;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

/// <summary>The same storage behaviour on SQLite and PostgreSQL: the schema applies (twice, and
/// concurrently), a cluster writes, restarts from storage and keeps every committed entry, and the
/// ETag refuses a stale writer.</summary>
public sealed class StorageRoundTripTests
{
    [Fact]
    public Task Sqlite_round_trip() => RoundTripAsync(3, null);

    [PostgresFact]
    public Task Postgres_round_trip() => RoundTripAsync(3, (_, _) => new RaftStorageSettings
    {
        Kind = DatabaseKind.Postgres,
        ConnectionString = PostgresFactAttribute.ConnectionString!,
    });

    private static async Task RoundTripAsync(int nodes, Func<string, string, RaftStorageSettings>? storage)
    {
        // More entries than a segment holds, so the restart walks sealed segments too.
        await using var cluster = await RaftTestCluster.StartAsync(nodes, storage, tune: s => s with { LogSegmentEntries = 8 });
        for (var i = 0; i < 20; i++) await cluster.ProposeAsync(Command($"r{i}"));
        var commit = (await cluster.StatusesAsync()).Max(s => s.CommitIndex);
        var before = await cluster.AssertLogsAgreeAsync(cluster.Nodes, commit);

        foreach (var node in cluster.Nodes) await cluster.KillAsync(node);
        foreach (var node in cluster.Nodes) await cluster.RestartAsync(node);
        var after = await cluster.AssertLogsAgreeAsync(cluster.Nodes, commit);
        Assert.Equal(Commands(before), Commands(after).Take(Commands(before).Length));

        await StaleWriterScenario.StaleVoteIsRefusedAsync(cluster);
    }

    [Fact]
    public async Task Sqlite_schema_is_idempotent_and_sets_wal()
    {
        var file = Path.Combine(Path.GetTempPath(), "raft-schema-tests", Guid.NewGuid().ToString("N"), "n1.db");
        var settings = new RaftStorageSettings { Kind = DatabaseKind.Sqlite, ConnectionString = $"Data Source={file}" };
        try
        {
            await RaftSiloBuilderExtensions.EnsureRaftStorageSchemaAsync(settings, CancellationToken.None);
            await RaftSiloBuilderExtensions.EnsureRaftStorageSchemaAsync(settings, CancellationToken.None);
            await using var connection = new SqliteConnection(settings.ConnectionString);
            await connection.OpenAsync();
            Assert.Equal("wal", await ScalarAsync(connection, "PRAGMA journal_mode"));
            Assert.Equal("3", await ScalarAsync(connection,
                "SELECT count(*) FROM OrleansQuery WHERE QueryKey IN ('WriteToStorageKey','ReadFromStorageKey','ClearStorageKey')"));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    [PostgresFact]
    public async Task Postgres_schema_applies_concurrently_and_repeatedly()
    {
        var settings = new RaftStorageSettings { Kind = DatabaseKind.Postgres, ConnectionString = PostgresFactAttribute.ConnectionString! };
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            RaftSiloBuilderExtensions.EnsureRaftStorageSchemaAsync(settings, CancellationToken.None)));
        await using var connection = new NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync();
        Assert.Equal("3", await ScalarAsync(connection,
            "SELECT count(*) FROM OrleansQuery WHERE QueryKey IN ('WriteToStorageKey','ReadFromStorageKey','ClearStorageKey')"));
    }

    [Fact]
    public async Task An_unreachable_database_fails_with_an_error_naming_it_without_the_password()
    {
        var settings = new RaftStorageSettings
        {
            Kind = DatabaseKind.Postgres,
            ConnectionString = "Host=127.0.0.1;Port=1;Database=nowhere;Username=raft;Password=s3cret;Timeout=2",
        };
        var error = await Assert.ThrowsAsync<RaftStorageUnavailableException>(() =>
            RaftSiloBuilderExtensions.EnsureRaftStorageSchemaAsync(settings, CancellationToken.None));
        Assert.Contains("127.0.0.1", error.Message);
        Assert.Contains("port 1", error.Message);
        Assert.Contains("unreachable", error.Message);
        Assert.DoesNotContain("s3cret", error.Message);
    }

    [Fact]
    public async Task A_storage_kind_outside_the_enum_is_refused_with_the_kinds_there_are()
    {
        // A name such as "mongodb" stops at the configuration (ConfigValidationTests); a value cast into the enum
        // by code is the only way to reach the storage with a kind it does not know.
        var settings = new RaftStorageSettings { Kind = (DatabaseKind)7, ConnectionString = "x" };
        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            RaftSiloBuilderExtensions.EnsureRaftStorageSchemaAsync(settings, CancellationToken.None));
        Assert.Contains("Kind is 7", error.Message);
        Assert.Contains("sqlite or postgres", error.Message);
    }

    private static async Task<string?> ScalarAsync(System.Data.Common.DbConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
