using Microsoft.Extensions.Logging;

namespace RaftOrleans.Silo;

/// <summary>The silo host's log lines, source-generated, event ids 2000-2099 (the node grain's are 1000-1299).</summary>
internal static partial class SiloLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information,
        Message = "{Node} up: silo {Address}:{SiloPort}, gateway {GatewayPort}, metrics {Metrics}, cluster {ClusterId}, storage {Storage}, clustering {Clustering}, voters {Voters}")]
    internal static partial void Up(this ILogger logger, string node, System.Net.IPAddress address, int siloPort, int gatewayPort, string metrics,
        string clusterId, string storage, string clustering, string voters);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "{Node} stopped")]
    internal static partial void Stopped(this ILogger logger, string node);
}
