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
    public const string TickIntervalMs = "raft.tickIntervalMs";
    public const string ElectionTicks = "raft.electionTicks";
    public const string HeartbeatTicks = "raft.heartbeatTicks";
    public const string SnapshotThresholdEntries = "raft.snapshotThresholdEntries";
    public const string SnapshotThresholdBytes = "raft.snapshotThresholdBytes";
    public const string SnapshotTrailingEntries = "raft.snapshotTrailingEntries";
    public const string SnapshotChunkBytes = "raft.snapshotChunkBytes";
    public const string MetricsPort = "metrics.port";
    public const string OtlpEndpoint = "metrics.otlpEndpoint";
    public const string LeaseClockDriftBoundMs = "raft.leaseClockDriftBoundMs";

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
        ["--tick-interval-ms"] = TickIntervalMs,
        ["--election-ticks"] = ElectionTicks,
        ["--heartbeat-ticks"] = HeartbeatTicks,
        ["--snapshot-threshold-entries"] = SnapshotThresholdEntries,
        ["--snapshot-threshold-bytes"] = SnapshotThresholdBytes,
        ["--snapshot-trailing-entries"] = SnapshotTrailingEntries,
        ["--snapshot-chunk-bytes"] = SnapshotChunkBytes,
        ["--metrics-port"] = MetricsPort,
        ["--otlp-endpoint"] = OtlpEndpoint,
        ["--lease-clock-drift-bound-ms"] = LeaseClockDriftBoundMs,
    };

    public static readonly IReadOnlySet<string> All = new HashSet<string>(Overrides.Values, StringComparer.Ordinal);
}
