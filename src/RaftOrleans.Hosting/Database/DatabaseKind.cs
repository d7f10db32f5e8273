namespace RaftOrleans.Hosting.Database;

/// <summary>The databases RaftOrleans runs on: SQLite for one machine, PostgreSQL for many.</summary>
public enum DatabaseKind
{
    Sqlite,
    Postgres,
}

public static class DatabaseKinds
{
    /// <summary>The names used in configuration files and on command lines.</summary>
    public static readonly IReadOnlyList<string> Names = ["sqlite", "postgres"];

    public static bool TryParse(string? name, out DatabaseKind kind)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "sqlite":
                kind = DatabaseKind.Sqlite;
                return true;
            case "postgres" or "postgresql":
                kind = DatabaseKind.Postgres;
                return true;
            default:
                kind = default;
                return false;
        }
    }

    public static string Name(this DatabaseKind kind) => kind switch
    {
        DatabaseKind.Sqlite => "sqlite",
        DatabaseKind.Postgres => "postgres",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The ADO.NET invariant name Orleans' providers know the database by. SQLite goes under
    /// "System.Data.SQLite" backed by Microsoft.Data.Sqlite (see <see cref="AdoNetProviders"/>): Orleans 10.4
    /// fails at silo start with the invariant "Microsoft.Data.SQLite".</summary>
    public static string AdoNetInvariant(this DatabaseKind kind) => kind switch
    {
        DatabaseKind.Sqlite => AdoNetProviders.SqliteInvariant,
        DatabaseKind.Postgres => AdoNetProviders.PostgresInvariant,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };
}
