using System.Net;
using RaftOrleans.Hosting.Database;

namespace RaftOrleans.Hosting.Configuration;

/// <summary>Everything one silo process needs to run one Raft node (silo-config/nX.json, then RAFTORLEANS_
/// environment variables, then command-line options), validated. Relative paths are already resolved against the configuration file's folder.</summary>
public sealed record NodeConfig
{
    /// <summary>The file it was read from, as given on the command line (for messages).</summary>
    public required string ConfigPath { get; init; }

    /// <summary>The node id, which is also the silo name: node nX lives only on silo nX.</summary>
    public required string NodeId { get; init; }

    public required string ClusterId { get; init; }
    public required string ServiceId { get; init; }
    public required IPAddress AdvertisedAddress { get; init; }
    public required int SiloPort { get; init; }
    public required int GatewayPort { get; init; }

    /// <summary>Absolute path of the folder for this node's files (SQLite databases).</summary>
    public required string DataDirectory { get; init; }

    public required DatabaseConnection Storage { get; init; }
    public required DatabaseConnection Clustering { get; init; }

    /// <summary>The initial voting members of the Raft group, this node among them; empty when <see cref="Join"/>.</summary>
    public required IReadOnlyList<string> Voters { get; init; }

    /// <summary>The node joins a running cluster with no configuration of its own (see ConfigKeys.Join).</summary>
    public bool Join { get; init; }

    /// <summary>The "raft" section but voters and join: the values the silo binds to its Raft settings, which
    /// know the keys, their defaults and their limits (RaftNodeSettings).</summary>
    public required IReadOnlyList<ConfigValue> Raft { get; init; }

    /// <summary>The "logging" section (Microsoft.Extensions.Logging's layout), paths from "logging:" on.</summary>
    public required IReadOnlyList<ConfigValue> Logging { get; init; }

    /// <summary>The port of this silo's HTTP endpoint for /metrics (Prometheus), /healthz and /readyz, on
    /// <see cref="AdvertisedAddress"/>; null: none (the default).</summary>
    public int? MetricsPort { get; init; }

    /// <summary>Where to push the same metrics by OTLP (http/protobuf); null: nowhere (the default).</summary>
    public Uri? OtlpEndpoint { get; init; }

    /// <summary>Where each value came from: "silo-config/n1.json: siloPort" or "option --silo-port".</summary>
    public required IReadOnlyDictionary<string, string> Origins { get; init; }

    /// <summary>For messages about a value: its file and key, or the option that overrode it.</summary>
    public string Origin(string key) => Origins.TryGetValue(key, out var origin) ? origin : $"{ConfigPath}: {key}";
}
