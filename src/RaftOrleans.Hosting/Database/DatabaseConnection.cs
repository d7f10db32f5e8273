using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;
using RaftOrleans.Contracts;

namespace RaftOrleans.Hosting.Database;

/// <summary>A database to connect to: its kind and its connection string.</summary>
public sealed record DatabaseConnection(DatabaseKind Kind, string ConnectionString)
{
    /// <summary>How long a SQLite command waits for another process's write lock before it fails.</summary>
    public const int SqliteBusyTimeoutSeconds = 30;

    /// <summary>The connection string with what the clustering tables need on SQLite: no pooling (a pooled
    /// connection could carry a half-run BEGIN IMMEDIATE back into the pool and hold the write lock) and a
    /// busy timeout so that silos writing at the same moment wait for each other instead of failing.</summary>
    public DatabaseConnection ForClustering() => Kind switch
    {
        DatabaseKind.Sqlite => this with
        {
            ConnectionString = new SqliteConnectionStringBuilder(ConnectionString)
            {
                Pooling = false,
                DefaultTimeout = SqliteBusyTimeoutSeconds,
            }.ToString(),
        },
        _ => this,
    };

    public DbConnection Open()
    {
        DbConnection connection = Kind switch
        {
            DatabaseKind.Sqlite => new SqliteConnection(ConnectionString),
            DatabaseKind.Postgres => new NpgsqlConnection(ConnectionString),
            _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, null),
        };
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The connection string for messages: no password.</summary>
    public string Describe()
    {
        try
        {
            return Kind switch
            {
                DatabaseKind.Sqlite => $"sqlite {new SqliteConnectionStringBuilder(ConnectionString).DataSource}",
                DatabaseKind.Postgres => DescribePostgres(new NpgsqlConnectionStringBuilder(ConnectionString)),
                _ => Kind.Name(),
            };
        }
        catch (ArgumentException)
        {
            return $"{Kind.Name()} (unparsable connection string)";
        }
    }

    private static string DescribePostgres(NpgsqlConnectionStringBuilder builder) =>
        $"postgres {builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
}
