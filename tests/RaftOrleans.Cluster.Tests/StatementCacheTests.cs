using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Storage;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

public sealed class StatementCacheTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "raft-statement-cache-tests", Guid.NewGuid().ToString("N"));

    public StatementCacheTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); }
        catch (IOException) { }
    }

    private StatementCachingSqliteDataSource NewSource()
    {
        var source = new StatementCachingSqliteDataSource($"Data Source={Path.Combine(_folder, Guid.NewGuid().ToString("N") + ".db")}");
        Execute(source, "CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
        return source;
    }

    /// <summary>As Orleans does it: a connection and a command for each call.</summary>
    private static int Execute(DbDataSource source, string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = source.CreateConnection();
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            command.Parameters.Add(parameter);
        }
        return command.ExecuteNonQuery();
    }

    private static List<string> Values(DbDataSource source)
    {
        using var connection = source.CreateConnection();
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT v FROM t ORDER BY k";
        using var reader = command.ExecuteReader();
        var values = new List<string>();
        while (reader.Read()) values.Add(reader.GetString(0));
        return values;
    }

    [Fact]
    public void A_statement_is_compiled_once_and_reused_by_every_later_call_with_its_own_parameters()
    {
        using var source = NewSource();
        for (var i = 0; i < 20; i++) Assert.Equal(1, Execute(source, "INSERT INTO t (k, v) VALUES (@k, @v)", ("@k", i), ("@v", $"value {i}")));

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"value {i}"), Values(source));
        // CREATE, INSERT and SELECT: three texts, each compiled once however often it ran.
        Assert.Equal(3, source.StatementsCompiled);
        Assert.Equal(0, source.FallbackConnections);
    }

    [Fact]
    public void A_call_that_finds_the_shared_connection_in_use_runs_on_a_connection_of_its_own()
    {
        using var source = NewSource();
        using var holder = source.CreateConnection();
        holder.Open();
        using (var command = holder.CreateCommand())
        {
            command.CommandText = "INSERT INTO t (k, v) VALUES (1, 'held')";
            command.ExecuteNonQuery();
        }

        // The holder has not closed: this call may not wait for it (it could be the same caller, nested).
        Assert.Equal(1, Execute(source, "INSERT INTO t (k, v) VALUES (2, 'beside')"));
        Assert.Equal(1, source.FallbackConnections);
        // A reader on such a connection stays readable until its caller is done with it.
        Assert.Equal(["held", "beside"], Values(source));
        Assert.Equal(2, source.FallbackConnections);
        holder.Close();
        Assert.Equal(["held", "beside"], Values(source));
    }

    [Fact]
    public void A_failed_statement_retires_the_shared_connection_and_the_next_call_starts_afresh()
    {
        using var source = NewSource();
        Execute(source, "INSERT INTO t (k, v) VALUES (@k, @v)", ("@k", 1), ("@v", "one"));
        var compiled = source.StatementsCompiled;
        Assert.Throws<SqliteException>(() => Execute(source, "INSERT INTO t (k, v) VALUES (@k, @v)", ("@k", 1), ("@v", "again")));

        Execute(source, "INSERT INTO t (k, v) VALUES (@k, @v)", ("@k", 2), ("@v", "two"));
        Assert.Equal(["one", "two"], Values(source));
        // The insert was compiled again on the new connection.
        Assert.True(source.StatementsCompiled > compiled, $"{source.StatementsCompiled} statements compiled, {compiled} before the failure");
    }

    [Fact]
    public void A_transaction_on_the_shared_connection_commits_or_rolls_back_as_a_whole()
    {
        using var source = NewSource();
        foreach (var commit in new[] { false, true })
        {
            using var connection = source.CreateConnection();
            connection.Open();
            using var transaction = connection.BeginTransaction();
            for (var i = 0; i < 2; i++)
            {
                using var command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = $"INSERT INTO t (v) VALUES ('{(commit ? "kept" : "rolled back")} {i}')";
                command.ExecuteNonQuery();
            }
            if (commit) transaction.Commit();
            else transaction.Rollback();
        }
        Assert.Equal(["kept 0", "kept 1"], Values(source));

        // A caller that leaves its transaction open does not hand it to the next one.
        using (var careless = source.CreateConnection())
        {
            careless.Open();
            var left = careless.BeginTransaction();
            using var command = careless.CreateCommand();
            command.Transaction = left;
            command.CommandText = "INSERT INTO t (v) VALUES ('never committed')";
            command.ExecuteNonQuery();
        }
        Execute(source, "INSERT INTO t (v) VALUES ('next')");
        Assert.Equal(["kept 0", "kept 1", "next"], Values(source));
    }

    [Fact]
    public async Task A_node_on_sqlite_compiles_each_storage_statement_once_however_many_entries_it_writes()
    {
        await using var cluster = await RaftTestCluster.StartAsync(1);
        await cluster.LeaderAsync();
        for (var i = 0; i < 50; i++) Assert.Equal(ClientReplyStatus.Applied, (await cluster.Node("n1").Propose(Command($"c{i}"))).Status);

        var source = cluster.Silo("n1").ServiceProvider.GetRequiredService<StatementCachingSqliteDataSource>();
        // Fifty appends and their commits are more than a hundred row writes; the store uses a handful of texts.
        Assert.InRange(source.StatementsCompiled, 1, 10);
        // Orleans closes what it opens: the loop's writes, one at a time, find the shared connection free.
        Assert.InRange(source.FallbackConnections, 0, 5);

        // And the log is really on disk: a restart reads it back.
        await cluster.KillAsync("n1");
        await cluster.RestartAsync("n1");
        await cluster.LeaderAsync();
        var log = await cluster.AssertLogsAgreeAsync(["n1"], 51);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"c{i}"), Commands(log).Take(50));
    }
}
