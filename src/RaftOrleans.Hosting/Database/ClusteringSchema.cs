using System.Data.Common;
using RaftOrleans.Contracts;

namespace RaftOrleans.Hosting.Database;

/// <summary>Creates the Orleans clustering tables and query texts (silo-config/sql/&lt;database&gt;/clustering.sql).
/// Orleans' AdoNet packages ship no scripts; every silo applies these before it starts. The scripts are
/// idempotent, so silos starting at the same time, or a restarted silo, can all apply them.</summary>
public static class ClusteringSchema
{
    public static Task ApplyAsync(DatabaseConnection database, CancellationToken cancellationToken) =>
        SqlScripts.ApplyAsync(database.ForClustering(), "clustering.sql", cancellationToken);

    /// <summary>Forgets one cluster's membership (for a fresh start on a shared database); a no-op when the
    /// tables do not exist yet.</summary>
    public static void DeleteClusterRows(DatabaseConnection database, string clusterId)
    {
        using var connection = database.ForClustering().Open();
        foreach (var table in new[] { "OrleansMembershipTable", "OrleansMembershipVersionTable" })
        {
            using var exists = connection.CreateCommand();
            exists.CommandText = database.Kind == DatabaseKind.Postgres
                ? $"SELECT to_regclass('{table.ToLowerInvariant()}') IS NOT NULL"
                : $"SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '{table}'";
            if (!Convert.ToBoolean(exists.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture))
            {
                continue;
            }

            using var delete = connection.CreateCommand();
            delete.CommandText = $"DELETE FROM {table} WHERE DeploymentId = @clusterId";
            var parameter = delete.CreateParameter();
            parameter.ParameterName = "clusterId";
            parameter.Value = clusterId;
            delete.Parameters.Add(parameter);
            delete.ExecuteNonQuery();
        }
    }
}

/// <summary>Runs the schema scripts embedded from silo-config/sql.</summary>
public static class SqlScripts
{
    public static string Read(DatabaseKind kind, string fileName)
    {
        var resource = $"sql/{kind.Name()}/{fileName}";
        using var stream = typeof(SqlScripts).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The schema script {resource} is not embedded in {typeof(SqlScripts).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static async Task ApplyAsync(DatabaseConnection database, string fileName, CancellationToken cancellationToken)
    {
        var script = Read(database.Kind, fileName);
        await using var connection = database.Open();
        // PRAGMA journal_mode cannot change inside a transaction, so on SQLite the script runs as it is (each
        // statement is idempotent); on PostgreSQL one transaction keeps a half-applied script from being seen.
        DbTransaction? transaction = database.Kind == DatabaseKind.Postgres
            ? await connection.BeginTransactionAsync(cancellationToken)
            : null;
        await using (transaction)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = script;
            command.Transaction = transaction;
            command.CommandTimeout = 60;
            await command.ExecuteNonQueryAsync(cancellationToken);
            if (transaction is not null)
            {
                await transaction.CommitAsync(cancellationToken);
            }
        }
    }
}
