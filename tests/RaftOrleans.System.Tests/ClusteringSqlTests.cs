using System.Data;
using System.Data.Common;
using RaftOrleans.Contracts;
using RaftOrleans.Hosting.Database;

namespace RaftOrleans.System.Tests;

/// <summary>The clustering query texts (silo-config/sql/*/clustering.sql) keep Orleans' contract: a row
/// change happens together with a version bump, and only when the caller holds the current version.
/// Run against the databases themselves, with the parameters Orleans' provider binds.
/// PostgreSQL is included where RAFT_TEST_POSTGRES names a server.</summary>
public sealed class ClusteringSqlTests : IDisposable
{
    private const int Active = 3;
    private const int Dead = 6;
    private readonly string _cluster = $"sqltest-{Guid.NewGuid():N}";
    private readonly string _folder = Directory.CreateTempSubdirectory("raftorleans-sql-").FullName;
    private DatabaseConnection Database { get; set; } = null!;

    public static TheoryData<string> Databases()
    {
        var databases = new TheoryData<string> { "sqlite" };
        if (!string.IsNullOrWhiteSpace(PostgresFactAttribute.ConnectionString))
        {
            databases.Add("postgres");
        }

        return databases;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task UseAsync(string kind)
    {
        Database = kind == "sqlite"
            ? new DatabaseConnection(DatabaseKind.Sqlite, $"Data Source={Path.Combine(_folder, "cluster.db")}")
            : new DatabaseConnection(DatabaseKind.Postgres, PostgresFactAttribute.ConnectionString!);
        await ClusteringSchema.ApplyAsync(Database, CancellationToken.None);
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task The_script_applies_twice_and_provides_every_query_Orleans_asks_for(string database)
    {
        await UseAsync(database);
        await ClusteringSchema.ApplyAsync(Database, CancellationToken.None);

        var queries = Queries();
        foreach (var key in new[]
                 {
                     "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
                     "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
                     "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey",
                 })
        {
            Assert.True(queries.ContainsKey(key), $"missing query {key}");
        }
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task The_version_row_is_inserted_once(string database)
    {
        await UseAsync(database);

        Assert.Equal(1, Scalar("InsertMembershipVersionKey", Parameters()));
        Assert.Equal(0, Scalar("InsertMembershipVersionKey", Parameters()));
        Assert.Equal(0, Version());
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task An_insert_with_a_stale_version_changes_nothing(string database)
    {
        await UseAsync(database);
        Scalar("InsertMembershipVersionKey", Parameters());

        Assert.Equal(1, Scalar("InsertMembershipKey", Silo(port: 1, version: 0)));
        Assert.Equal(1, Version());
        Assert.Equal(0, Scalar("InsertMembershipKey", Silo(port: 2, version: 0)));
        Assert.Equal(1, Version());
        Assert.Equal(0, Scalar("InsertMembershipKey", Silo(port: 1, version: 1)));
        Assert.Equal(1, Version());
        Assert.Equal([1], Rows().Select(row => row.Port));
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task An_update_with_a_stale_version_changes_nothing(string database)
    {
        await UseAsync(database);
        Scalar("InsertMembershipVersionKey", Parameters());
        Scalar("InsertMembershipKey", Silo(port: 1, version: 0));

        Assert.Equal(0, Scalar("UpdateMembershipKey", Silo(port: 1, version: 0, status: Dead)));
        Assert.Equal(Active, Rows().Single().Status);
        Assert.Equal(1, Scalar("UpdateMembershipKey", Silo(port: 1, version: 1, status: Dead)));
        Assert.Equal(Dead, Rows().Single().Status);
        Assert.Equal(2, Version());
        Assert.Equal(0, Scalar("UpdateMembershipKey", Silo(port: 9, version: 2, status: Dead)));
        Assert.Equal(2, Version());
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task Gateways_are_the_active_silos_and_a_dead_row_is_cleaned_up_only_while_unchanged(string database)
    {
        await UseAsync(database);
        Scalar("InsertMembershipVersionKey", Parameters());
        var started = DateTime.UtcNow.AddHours(-2);
        Scalar("InsertMembershipKey", Silo(port: 1, version: 0, start: started));
        Scalar("InsertMembershipKey", Silo(port: 2, version: 1, start: started));
        Scalar("UpdateMembershipKey", Silo(port: 2, version: 2, status: Dead, start: started));

        var gateways = Read("GatewaysQueryKey", Parameters(("Status", Active)), reader => reader.GetInt32(reader.GetOrdinal("ProxyPort")));
        Assert.Equal([1 + 1000], gateways);

        var dead = Rows().Single(row => row.Port == 2);
        var cleanup = Parameters(("Address", "127.0.0.1"), ("Port", 2), ("Generation", 7), ("SuspectTimes", DBNull.Value),
            ("StartTime", dead.StartTime), ("IAmAliveTime", dead.IAmAliveTime.AddSeconds(-1)));
        Execute("CleanupDefunctSiloEntryKey", cleanup);
        Assert.Equal(2, Rows().Count);

        cleanup[^1] = ("IAmAliveTime", dead.IAmAliveTime);
        Execute("CleanupDefunctSiloEntryKey", cleanup);
        Assert.Equal([1], Rows().Select(row => row.Port));
    }

    private sealed record Row(int Port, int Status, DateTime StartTime, DateTime IAmAliveTime);

    private List<(string Name, object Value)> Parameters(params (string Name, object Value)[] extra) =>
        [("DeploymentId", _cluster), .. extra];

    private List<(string Name, object Value)> Silo(int port, int version, int status = Active, DateTime? start = null)
    {
        var time = new DateTime((start ?? DateTime.UtcNow).Ticks / TimeSpan.TicksPerMillisecond * TimeSpan.TicksPerMillisecond, DateTimeKind.Utc);
        return Parameters(("Address", "127.0.0.1"), ("Port", port), ("Generation", 7), ("SiloName", $"n{port}"),
            ("HostName", "test"), ("Status", status), ("ProxyPort", port + 1000), ("SuspectTimes", DBNull.Value),
            ("StartTime", time), ("IAmAliveTime", time), ("Version", version));
    }

    private int Version() => Read("MembershipReadAllKey", Parameters(), reader => Convert.ToInt32(reader.GetValue(reader.GetOrdinal("Version")))).First();

    private List<Row> Rows() => Read("MembershipReadAllKey", Parameters(), reader => reader.IsDBNull(reader.GetOrdinal("Port"))
            ? null
            : new Row(reader.GetInt32(reader.GetOrdinal("Port")), reader.GetInt32(reader.GetOrdinal("Status")),
                reader.GetDateTime(reader.GetOrdinal("StartTime")), reader.GetDateTime(reader.GetOrdinal("IAmAliveTime"))))
        .OfType<Row>().ToList();

    private Dictionary<string, string> Queries()
    {
        using var connection = Database.ForClustering().Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT QueryKey, QueryText FROM OrleansQuery";
        using var reader = command.ExecuteReader();
        var queries = new Dictionary<string, string>();
        while (reader.Read())
        {
            queries[reader.GetString(0)] = reader.GetString(1);
        }

        return queries;
    }

    private int Scalar(string key, List<(string Name, object Value)> parameters) =>
        Read(key, parameters, reader => Convert.ToInt32(reader.GetValue(0))).Single();

    private void Execute(string key, List<(string Name, object Value)> parameters) => Read(key, parameters, _ => 0);

    private List<T> Read<T>(string key, List<(string Name, object Value)> parameters, Func<DbDataReader, T> select)
    {
        var text = Queries()[key];
        using var connection = Database.ForClustering().Open();
        using var command = connection.CreateCommand();
        command.CommandText = text;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value;
            if (value is DateTime)
            {
                // As Orleans' provider binds the times of CleanupDefunctSiloEntryKey.
                parameter.DbType = DbType.DateTime;
            }

            command.Parameters.Add(parameter);
        }

        using var reader = command.ExecuteReader();
        var results = new List<T>();
        do
        {
            while (reader.Read())
            {
                results.Add(select(reader));
            }
        }
        while (reader.NextResult());
        return results;
    }
}
