using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace RaftOrleans.Hosting.Database;

/// <summary>Registers the ADO.NET factories under the invariant names Orleans' AdoNet providers look up.</summary>
public static class AdoNetProviders
{
    public const string SqliteInvariant = "System.Data.SQLite";
    public const string PostgresInvariant = "Npgsql";

    /// <summary>Idempotent; call before any Orleans AdoNet provider starts (silo or client).</summary>
    public static void Register()
    {
        DbProviderFactories.RegisterFactory(SqliteInvariant, SqliteFactory.Instance);
        DbProviderFactories.RegisterFactory(PostgresInvariant, NpgsqlFactory.Instance);
    }
}
