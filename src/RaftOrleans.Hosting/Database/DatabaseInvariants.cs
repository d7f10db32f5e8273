using RaftOrleans.Contracts;

namespace RaftOrleans.Hosting.Database;

/// <summary>The ADO.NET invariants Orleans' providers know each <see cref="DatabaseKind"/> by.</summary>
public static class DatabaseInvariants
{
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
