namespace RaftOrleans.Grains.Storage;

/// <summary>The stored log of a node does not have the shape it was written in (a segment is missing or
/// out of place). The node refuses to start rather than run on a damaged log.</summary>
[GenerateSerializer, Alias("RaftOrleans.RaftStorageCorruptException")]
public sealed class RaftStorageCorruptException : Exception
{
    public RaftStorageCorruptException(string message) : base(message) { }
}

/// <summary>The Raft storage schema could not be applied: the database is unreachable or refused it.</summary>
public sealed class RaftStorageUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>Tells a storage error that may go away (the database is busy, unreachable, out of space, slow)
/// from one that will fail the same way however often it is retried (a damaged file, a missing table, a
/// row the serializer cannot handle).</summary>
internal static class StorageErrors
{
    /// <summary>Null when a retry may succeed; otherwise why it cannot. Unknown errors count as
    /// transient: retrying them costs only time, while nothing unacknowledged is lost.</summary>
    public static string? WhyRetryCannotHeal(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case RaftStorageCorruptException:
                    return "the stored log is damaged";
                case Microsoft.Data.Sqlite.SqliteException sqlite:
                    return SqliteVerdict(sqlite.SqliteErrorCode);
                case Npgsql.PostgresException postgres:
                    return PostgresVerdict(postgres);
                case System.Data.Common.DbException db when db.IsTransient:
                case TimeoutException or IOException or System.Net.Sockets.SocketException or OperationCanceledException or ObjectDisposedException:
                    return null;
                case InvalidOperationException or ArgumentException or NotSupportedException or InvalidCastException or FormatException
                    or NullReferenceException or Orleans.Serialization.SerializerException:
                    return $"the operation itself is invalid ({e.GetType().Name})";
            }
        }
        return null;
    }

    // https://www.sqlite.org/rescode.html: busy, locked, out of memory, interrupted, I/O error, disk full,
    // cannot open, lock protocol and schema changed may pass; the rest describe the file or the statement.
    private static string? SqliteVerdict(int code) => code switch
    {
        5 or 6 or 7 or 9 or 10 or 13 or 14 or 15 or 17 => null,
        11 => "SQLite: the database file is corrupt",
        26 => "SQLite: the file is not a database",
        8 => "SQLite: the database is read-only",
        _ => $"SQLite error {code}",
    };

    // Classes 08 connection, 40 transaction rollback (serialization, deadlock), 53 insufficient
    // resources, 57 operator intervention (shutdown, cancel), 58 system (I/O), and lock_not_available may
    // pass; the rest (syntax, undefined table, data, integrity, authorization, internal corruption) will not.
    private static string? PostgresVerdict(Npgsql.PostgresException postgres)
    {
        var state = postgres.SqlState;
        if (postgres.IsTransient || state == "55P03" || state[..2] is "08" or "40" or "53" or "57" or "58") return null;
        return $"PostgreSQL error {state}: {postgres.MessageText}";
    }
}
