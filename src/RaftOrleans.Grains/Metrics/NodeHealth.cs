using RaftOrleans.Contracts;

namespace RaftOrleans.Grains.Metrics;

/// <summary>A verdict of /healthz or /readyz: the HTTP status follows <see cref="Ok"/>, the body is <see cref="Reason"/>.</summary>
public sealed record HealthVerdict(bool Ok, string Reason);

/// <summary>What a silo's /healthz and /readyz answer, from one fresh reading of its node's status.</summary>
public static class NodeHealth
{
    /// <summary>Alive: the node grain answered and still acts (a fenced or failed activation reports "stopped").</summary>
    public static HealthVerdict Liveness(NodeStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return status.Role == NodeRole.Stopped
            ? new HealthVerdict(false, $"node {status.Node} stopped acting")
            : new HealthVerdict(true, $"node {status.Node} alive: {status.Role.Name()}, term {status.Term}");
    }

    /// <summary>Ready: the node leads, or it heard from a leader within one election timeout. A node that
    /// lost its leader stops being ready once a leader would have been presumed dead by its own timer.</summary>
    public static HealthVerdict Readiness(NodeStatus status, TimeSpan electionTimeout)
    {
        ArgumentNullException.ThrowIfNull(status);
        if (status.Role == NodeRole.Stopped)
        {
            return new HealthVerdict(false, $"node {status.Node} stopped acting");
        }

        if (status.Role == NodeRole.Leader)
        {
            return new HealthVerdict(true, $"node {status.Node} leads term {status.Term}");
        }

        if (status.Leader is null || status.MillisecondsSinceLeaderContact is not { } sinceContact)
        {
            return new HealthVerdict(false, $"node {status.Node} knows no leader ({status.Role.Name()}, term {status.Term})");
        }

        var limit = (long)electionTimeout.TotalMilliseconds;
        return sinceContact <= limit
            ? new HealthVerdict(true, $"node {status.Node} follows {status.Leader} (heard {sinceContact} ms ago), term {status.Term}")
            : new HealthVerdict(false, $"node {status.Node} last heard from leader {status.Leader} {sinceContact} ms ago, more than an election timeout ({limit} ms)");
    }
}
