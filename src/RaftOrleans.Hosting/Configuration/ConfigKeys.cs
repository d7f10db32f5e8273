namespace RaftOrleans.Hosting.Configuration;

/// <summary>The keys of silo-config/nX.json and the command-line options that override them.</summary>
public static class ConfigKeys
{
    public const string Node = "node";
    public const string ClusterId = "clusterId";
    public const string ServiceId = "serviceId";
    public const string AdvertisedAddress = "advertisedAddress";
    public const string SiloPort = "siloPort";
    public const string GatewayPort = "gatewayPort";
    public const string DataDir = "dataDir";
    public const string StorageKind = "storage.kind";
    public const string StorageConnection = "storage.connectionString";
    public const string ClusteringKind = "clustering.kind";
    public const string ClusteringConnection = "clustering.connectionString";
    public const string Voters = "raft.voters";
    /// <summary>"true" for a node that joins a running cluster: it starts with no configuration (the voters
    /// are ignored), never campaigns, and waits for a leader to add it as a learner.</summary>
    public const string Join = "raft.join";
    public const string MetricsPort = "metrics.port";
    public const string OtlpEndpoint = "metrics.otlpEndpoint";

    /// <summary>A file holding the connection string, for a secret kept out of the node file and out of argv.</summary>
    public const string StorageConnectionFile = "storage.connectionStringFile";
    public const string ClusteringConnectionFile = "clustering.connectionStringFile";

    /// <summary>The section bound to the node's Raft settings (RaftNodeSettings in the silo): every key in it
    /// but <see cref="Voters"/> and <see cref="Join"/> is checked there, against the settings' own properties.</summary>
    public const string RaftSection = "raft";

    /// <summary>Microsoft.Extensions.Logging's own section: "logging": { "logLevel": { "Default": "Warning" },
    /// "console": { "formatterName": "json" } }.</summary>
    public const string LoggingSection = "logging";

    /// <summary>Environment variables with this prefix override the file: RAFTORLEANS_Raft__ElectionTicks=20 sets
    /// raft.electionTicks ("__" separates sections; names are not case-sensitive).</summary>
    public const string EnvironmentPrefix = "RAFTORLEANS_";

    /// <summary>RAFTORLEANS_ROOT is raftctl's (where the checkout is; the ./raftctl wrapper exports it, so every silo
    /// the launcher starts inherits it), not a setting.</summary>
    public const string RootVariable = "ROOT";

    /// <summary>RAFTORLEANS_Client__... variables are the client's (client.json's keys), not a silo's.</summary>
    public const string ClientSection = "client";

    /// <summary>Command-line option → configuration key. The launcher and the tests use these to run the ready
    /// files n1..n5 with their own ports, folders and databases.</summary>
    public static readonly IReadOnlyDictionary<string, string> Overrides = new Dictionary<string, string>
    {
        ["--node"] = Node,
        ["--cluster-id"] = ClusterId,
        ["--service-id"] = ServiceId,
        ["--advertised-address"] = AdvertisedAddress,
        ["--silo-port"] = SiloPort,
        ["--gateway-port"] = GatewayPort,
        ["--data-dir"] = DataDir,
        ["--storage"] = StorageKind,
        ["--storage-connection"] = StorageConnection,
        ["--clustering"] = ClusteringKind,
        ["--clustering-connection"] = ClusteringConnection,
        ["--voters"] = Voters,
        ["--join"] = Join,
        ["--tick-interval-ms"] = "raft.tickIntervalMs",
        ["--election-ticks"] = "raft.electionTicks",
        ["--heartbeat-ticks"] = "raft.heartbeatTicks",
        ["--pre-vote"] = "raft.preVote",
        ["--check-quorum"] = "raft.checkQuorum",
        ["--lease-reads"] = "raft.leaseReads",
        ["--propose-timeout-ms"] = "raft.proposeTimeoutMs",
        ["--snapshot-threshold-entries"] = "raft.snapshotThresholdEntries",
        ["--snapshot-threshold-bytes"] = "raft.snapshotThresholdBytes",
        ["--snapshot-trailing-entries"] = "raft.snapshotTrailingEntries",
        ["--snapshot-chunk-bytes"] = "raft.snapshotChunkBytes",
        ["--metrics-port"] = MetricsPort,
        ["--otlp-endpoint"] = OtlpEndpoint,
        ["--lease-clock-drift-bound-ms"] = "raft.leaseClockDriftBoundMs",
    };

    /// <summary>The keys outside the <see cref="RaftSection"/> and <see cref="LoggingSection"/> sections, and the
    /// two raft keys the node itself reads.</summary>
    public static readonly IReadOnlySet<string> NodeKeys = new HashSet<string>(
        [Node, ClusterId, ServiceId, AdvertisedAddress, SiloPort, GatewayPort, DataDir, StorageKind, StorageConnection,
         StorageConnectionFile, ClusteringKind, ClusteringConnection, ClusteringConnectionFile, Voters, Join, MetricsPort, OtlpEndpoint],
        StringComparer.OrdinalIgnoreCase);
}
