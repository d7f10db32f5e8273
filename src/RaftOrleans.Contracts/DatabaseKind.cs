using System.Text.Json.Serialization;

namespace RaftOrleans.Contracts;

/// <summary>The databases RaftOrleans runs on: SQLite for one machine, PostgreSQL for many. Shared by the node's
/// storage (RaftOrleans.Grains) and the configuration and clustering code (RaftOrleans.Hosting); in files (the
/// launcher's cluster.json) by the names the configuration uses.</summary>
public enum DatabaseKind
{
    [JsonStringEnumMemberName("sqlite")]
    Sqlite,

    [JsonStringEnumMemberName("postgres")]
    Postgres,
}

/// <summary>The names of <see cref="DatabaseKind"/> in configuration files, on command lines and in messages.</summary>
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
}
