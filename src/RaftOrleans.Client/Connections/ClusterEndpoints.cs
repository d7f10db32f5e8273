using System.Net;
using RaftOrleans.Hosting.Database;

namespace RaftOrleans.Client.Connections;

/// <summary>Where a cluster's nodes are: each node and the gateway of its own silo (node nX lives only on
/// silo nX), and optionally the membership table. Read from silo-config/client.json or written by the
/// launcher (see <see cref="ClientConfigLoader"/>).</summary>
public sealed record ClusterEndpoints
{
    public required string ClusterId { get; init; }
    public string ServiceId { get; init; } = "raftorleans";
    public DatabaseConnection? Clustering { get; init; }
    public required IReadOnlyList<NodeEndpoint> Nodes { get; init; }
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(8);
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Settings for one client over every gateway (gateways from the membership table when known).</summary>
    public ClusterClientSettings ClientSettings() => new()
    {
        ClusterId = ClusterId,
        ServiceId = ServiceId,
        Clustering = Clustering,
        Gateways = Nodes.Select(node => node.Gateway).ToArray(),
        ConnectTimeout = ConnectTimeout,
        ResponseTimeout = ResponseTimeout,
    };
}

public sealed record NodeEndpoint(string Node, IPEndPoint Gateway);
