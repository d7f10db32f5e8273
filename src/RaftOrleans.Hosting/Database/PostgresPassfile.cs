using Npgsql;

namespace RaftOrleans.Hosting.Database;

/// <summary>Keeps a PostgreSQL password out of files that are read by others and out of process command lines:
/// the password goes into a PostgreSQL password file (mode 0600), and the connection string that is kept and
/// passed on names that file instead (Npgsql's <c>Passfile</c>).</summary>
public static class PostgresPassfile
{
    public const string FileName = "pgpass";

    /// <summary>The connection string without its password, with <c>Passfile</c> pointing at
    /// <paramref name="folder"/>/pgpass, which then holds the password for any host, port, database and user.
    /// A connection string without a password is returned as it is.</summary>
    public static string MoveOut(string connectionString, string folder)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.Password))
        {
            return connectionString;
        }

        Directory.CreateDirectory(folder);
        var path = Path.Combine(Path.GetFullPath(folder), FileName);
        var escaped = builder.Password.Replace(@"\", @"\\", StringComparison.Ordinal).Replace(":", @"\:", StringComparison.Ordinal);
        File.WriteAllText(path, "", System.Text.Encoding.UTF8);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, $"*:*:*:*:{escaped}\n");
        builder.Password = null;
        builder.Passfile = path;
        return builder.ToString();
    }
}
