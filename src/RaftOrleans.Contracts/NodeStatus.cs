namespace RaftOrleans.Contracts;

/// <summary>What a node reports about itself, for `raftctl status` and for tests.</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.NodeStatus")]
public sealed record NodeStatus(
    [property: Id(0)] string Node,
    [property: Id(1)] string Silo,
    [property: Id(2)] NodeRole Role,
    [property: Id(3)] long Term,
    [property: Id(4)] string? Leader,
    [property: Id(5)] long CommitIndex,
    [property: Id(6)] long AppliedIndex,
    [property: Id(7)] long LastLogIndex,
    /// <summary>Milliseconds since this node last heard from its leader (0 on the leader; null when
    /// it never heard from one).</summary>
    [property: Id(8)] long? MillisecondsSinceLeaderContact)
{
    /// <summary>Version of the network fault table this node's silo enforces (0: none ever set).</summary>
    [Id(9)] public long FaultsVersion { get; init; }

    /// <summary>That table in one line ("none" when empty); see <see cref="NetworkFaultTable.Summary"/>.</summary>
    [Id(10)] public string Faults { get; init; } = "none";

    /// <summary>This activation of the node's grain: a new value means the node restarted (its silo, or
    /// Orleans deactivated it) and rebuilt its state from storage.</summary>
    [Id(11)] public string Activation { get; init; } = "";

    /// <summary>Index of the last entry covered by this node's latest snapshot (taken here or received
    /// from a leader); 0 before the first.</summary>
    [Id(12)] public long SnapshotIndex { get; init; }

    /// <summary>The first log index this node still holds; entries before it were compacted into a snapshot.</summary>
    [Id(13)] public long FirstLogIndex { get; init; } = 1;

    /// <summary>The stages of a write as this node measured them since its silo started (`raftctl bench
    /// --breakdown`): names and meanings in RaftOrleans.Grains' WriteStages; the same figures go to the
    /// "RaftOrleans" meter.</summary>
    [Id(14)] public StageHistogram[] Stages { get; init; } = [];

    /// <summary>Proposals, reads and elections counted by this activation, its inbox, and (on a leader)
    /// each follower's match index.</summary>
    [Id(15)] public NodeCounters Counters { get; init; } = new();
}
