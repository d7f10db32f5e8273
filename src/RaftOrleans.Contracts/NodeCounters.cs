namespace RaftOrleans.Contracts;

/// <summary>What a node has counted since its activation began (a restarted node starts again from 0, as
/// Prometheus counters do after a restart), and two figures of the moment: its inbox and, on a leader, how
/// far each follower's log matches. The node observer puts them on the "RaftOrleans" meter.</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.NodeCounters")]
public sealed record NodeCounters
{
    /// <summary>Proposals this node appended as leader.</summary>
    [Id(0)] public long ProposalsAccepted { get; init; }

    /// <summary>Proposals refused at once: not the leader, a transfer or a full queue, or the node stopped.</summary>
    [Id(1)] public long ProposalsRefused { get; init; }

    /// <summary>Proposals whose deadline passed before their entry was applied (outcome unknown to the caller).</summary>
    [Id(2)] public long ProposalsTimedOut { get; init; }

    [Id(3)] public long ReadsLinearizable { get; init; }

    [Id(4)] public long ReadsLease { get; init; }

    [Id(5)] public long ReadsStale { get; init; }

    /// <summary>Times this node became a candidate (a real election, after a pre-vote if it is on).</summary>
    [Id(6)] public long ElectionsStarted { get; init; }

    /// <summary>Messages and ticks waiting for the loop right now.</summary>
    [Id(7)] public int InboxDepth { get; init; }

    /// <summary>On a leader: each follower's (and learner's) match index; empty elsewhere.</summary>
    [Id(8)] public Dictionary<string, long> FollowerMatch { get; init; } = new();
}
