namespace RaftOrleans.Cluster.Tests;

/// <summary>A test that needs PostgreSQL: it runs only when RAFT_TEST_POSTGRES holds a connection
/// string (CI sets it) and is reported as skipped, with the reason, otherwise.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public const string Variable = "RAFT_TEST_POSTGRES";

    public PostgresFactAttribute()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
            Skip = $"{Variable} is not set: PostgreSQL storage tests need a connection string, e.g. " +
                   $"{Variable}='Host=localhost;Username=raft;Password=raft;Database=raft_test'";
    }

    public static string? ConnectionString => Environment.GetEnvironmentVariable(Variable);
}
