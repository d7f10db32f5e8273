using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;

namespace RaftOrleans.Grains.Storage;

/// <summary>
/// Creates the storage tables and (re)writes the query texts Orleans' ADO.NET provider reads at silo
/// start (WriteToStorageKey, ReadFromStorageKey, ClearStorageKey). The packages ship no SQL, so the
/// scripts live in Storage/Sql/&lt;database&gt;/ of this project. Safe to run on every start.
/// </summary>
internal static class RaftStorageSchema
{
    private static readonly string[] QueryKeys = ["WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey"];

    /// <summary>Any stable 64-bit number: serialises concurrent schema runs on one PostgreSQL database.</summary>
    private const long PostgresSchemaLockKey = 0x5241_4654_5343_4831; // "RAFTSCH1"

    public static async Task EnsureAsync(RaftStorageSettings storage, CancellationToken ct)
    {
        storage.Validate();
        var dialect = storage.Kind.Name();
        var schema = ReadScript(dialect, "schema.sql");
        var queries = QueryKeys.Select(key => (key, text: ReadScript(dialect, key + ".sql"))).ToArray();
        DbConnection connection;
        try
        {
            connection = storage.Kind == DatabaseKind.Sqlite ? OpenSqlite(storage.ConnectionString) : new NpgsqlConnection(storage.ConnectionString);
            await connection.OpenAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new RaftStorageUnavailableException(
                $"Raft storage ({dialect}) is unreachable at {Describe(storage)}: {e.Message}", e);
        }

        await using (connection)
        {
            try
            {
                if (storage.Kind == DatabaseKind.Postgres)
                    await ExecuteAsync(connection, $"SELECT pg_advisory_lock({PostgresSchemaLockKey})", ct);
                await ExecuteAsync(connection, schema, ct);
                foreach (var (key, text) in queries)
                {
                    await using var command = connection.CreateCommand();
                    command.CommandText = "INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES (@key, @text) " +
                                          "ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText";
                    AddParameter(command, "key", key);
                    AddParameter(command, "text", text);
                    await command.ExecuteNonQueryAsync(ct);
                }
                if (storage.Kind == DatabaseKind.Postgres)
                    await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({PostgresSchemaLockKey})", ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new RaftStorageUnavailableException(
                    $"Raft storage ({dialect}) at {Describe(storage)} refused the schema: {e.Message}", e);
            }
        }
    }

    /// <summary>Where the database is, without credentials, for error messages.</summary>
    internal static string Describe(RaftStorageSettings storage)
    {
        try
        {
            if (storage.Kind == DatabaseKind.Sqlite)
                return $"file '{new SqliteConnectionStringBuilder(storage.ConnectionString).DataSource}'";
            var pg = new NpgsqlConnectionStringBuilder(storage.ConnectionString);
            return $"host '{pg.Host}' port {pg.Port} database '{pg.Database}' user '{pg.Username}'";
        }
        catch (ArgumentException e)
        {
            return $"(unparseable connection string: {e.Message})";
        }
    }

    private static SqliteConnection OpenSqlite(string connectionString)
    {
        // A node's file lives in a folder of its own; create the folder, not just the file, so a fresh
        // data directory works. Mode=ReadWriteCreate is Microsoft.Data.Sqlite's default.
        var dataSource = new SqliteConnectionStringBuilder(connectionString).DataSource;
        var directory = Path.GetDirectoryName(Path.GetFullPath(dataSource));
        if (!string.IsNullOrEmpty(directory)) Directory.CreateDirectory(directory);
        return new SqliteConnection(connectionString);
    }

    private static async Task ExecuteAsync(DbConnection connection, string sql, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(ct);
    }

    private static void AddParameter(DbCommand command, string name, string value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }

    internal static string ReadScript(string dialect, string file)
    {
        var name = $"RaftOrleans.Sql.{dialect}/{file}";
        var assembly = typeof(RaftStorageSchema).Assembly;
        using var stream = assembly.GetManifestResourceStream(name)
                           ?? assembly.GetManifestResourceStream(name.Replace('/', '\\'))
                           ?? throw new InvalidOperationException($"embedded SQL script {name} is missing from {assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
