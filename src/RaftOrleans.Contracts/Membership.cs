namespace RaftOrleans.Contracts;

// Membership changes and leadership transfer, asked of the leader (dissertation §4.1, §3.10).
// Field ids are part of the wire format: never renumber or reuse them, only add new ones.

public enum MembershipChangeKind
{
    /// <summary>Adds a node that receives the log but does not vote, so it can catch up first (§4.2.1).</summary>
    AddLearner = 0,
    /// <summary>Makes a caught-up learner a voter.</summary>
    Promote = 1,
    /// <summary>Removes a voter or a learner.</summary>
    Remove = 2,
}

public enum MembershipStatus
{
    /// <summary>The change committed (or, for a transfer, the target leads now).</summary>
    Done = 0,
    /// <summary>This node is not the leader; try <see cref="MembershipReply.LeaderHint"/> if set.</summary>
    NotLeader = 1,
    /// <summary>The leader refused the request for good (<see cref="MembershipReply.Reason"/>): an unknown
    /// node, the last voter, a node already in that role, ... Nothing was appended.</summary>
    Refused = 2,
    /// <summary>Another configuration change is not committed yet, or the new leader has not committed an
    /// entry of its term yet: retry shortly. Nothing was appended.</summary>
    Pending = 3,
    /// <summary>The learner is too far behind to be promoted yet; retry once it has caught up.</summary>
    LearnerBehind = 4,
    /// <summary>No outcome in time: the change may still commit (read the configuration to find out), or
    /// the transfer target did not take over.</summary>
    Unknown = 5,
    /// <summary>The node is stopping or fenced; nothing was done.</summary>
    Unavailable = 6,
}

[GenerateSerializer, Immutable, Alias("RaftOrleans.MembershipReply")]
public sealed record MembershipReply(
    [property: Id(0)] MembershipStatus Status,
    [property: Id(1)] string? LeaderHint,
    [property: Id(2)] string? Reason,
    /// <summary>The configuration in force on the answering node when it answered.</summary>
    [property: Id(3)] string[] Voters,
    [property: Id(4)] string[] Learners);

/// <summary>One member as a node sees it. Match index is known only on the leader (null elsewhere).</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.MemberView")]
public sealed record MemberView(
    [property: Id(0)] string Node,
    [property: Id(1)] bool Voter,
    [property: Id(2)] long? MatchIndex,
    /// <summary>probe, replicate or snapshot, as the leader tracks the member; null elsewhere.</summary>
    [property: Id(3)] string? ReplicationState);

/// <summary>The configuration in force on one node, and on the leader how far each member has caught up.</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.MembershipView")]
public sealed record MembershipView(
    [property: Id(0)] string Node,
    [property: Id(1)] NodeRole Role,
    [property: Id(2)] long Term,
    [property: Id(3)] string? Leader,
    [property: Id(4)] long LastLogIndex,
    [property: Id(5)] long CommitIndex,
    /// <summary>True while the latest configuration change is not yet committed.</summary>
    [property: Id(6)] bool ChangePending,
    [property: Id(7)] MemberView[] Members);
