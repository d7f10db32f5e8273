using System.Net;
using RaftOrleans.Hosting.Database;

namespace RaftOrleans.Client.Connections;

/// <summary>How to reach a cluster from an Orleans client. Give <see cref="Clustering"/> to take the
/// gateways from the membership table (they follow silos that come and go), or <see cref="Gateways"/> to
/// name them by hand. Every wait has a short limit: nothing rides on Orleans' 30 s defaults.</summary>
public sealed record ClusterClientSettings
{
    public required string ClusterId { get; init; }
    public string ServiceId { get; init; } = "raftorleans";

    /// <summary>The membership table the silos write (its active silos are the gateways).</summary>
    public DatabaseConnection? Clustering { get; init; }

    /// <summary>Gateways named by hand, used when <see cref="Clustering"/> is null.</summary>
    public IReadOnlyList<IPEndPoint> Gateways { get; init; } = [];

    /// <summary>Limit on the whole connect (reading the gateway list, reaching a gateway, the handshake).</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Default limit on a grain call that has none of its own.</summary>
    public TimeSpan ResponseTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Limit on opening one gateway connection: a frozen gateway still accepts TCP, so only this
    /// limit lets the client give up on it and use another.</summary>
    public TimeSpan OpenConnectionTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the gateway list is re-read from the membership table.</summary>
    public TimeSpan GatewayListRefreshPeriod { get; init; } = TimeSpan.FromSeconds(2);

    public string DescribeGateways() => Clustering is not null
        ? $"the membership table in {Clustering.Describe()}"
        : string.Join(", ", Gateways.Select(gateway => gateway.ToString()));
}
