namespace RaftOrleans.Contracts;

/// <summary>A node's role as it reports it (<see cref="NodeStatus.Role"/>, <see cref="MembershipView.Role"/>): the
/// core's four roles, a learner (a follower that does not vote, §4.2.1), or stopped (an activation fenced by a newer
/// one, or failed, and deactivating).</summary>
public enum NodeRole
{
    Follower = 0,
    PreCandidate = 1,
    Candidate = 2,
    Leader = 3,
    Learner = 4,
    Stopped = 5,
}

public static class NodeRoleNames
{
    /// <summary>Every role, in the order status tables and metrics list them.</summary>
    public static IReadOnlyList<NodeRole> All { get; } =
        [NodeRole.Leader, NodeRole.Follower, NodeRole.Candidate, NodeRole.PreCandidate, NodeRole.Learner, NodeRole.Stopped];

    /// <summary>The name in `raftctl status`, its JSON, the dashboard and the metrics' role tag: lower case,
    /// as the core's roles have always been printed ("precandidate" in one word).</summary>
    public static string Name(this NodeRole role) => role switch
    {
        NodeRole.Follower => "follower",
        NodeRole.PreCandidate => "precandidate",
        NodeRole.Candidate => "candidate",
        NodeRole.Leader => "leader",
        NodeRole.Learner => "learner",
        NodeRole.Stopped => "stopped",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "not a node role"),
    };
}
