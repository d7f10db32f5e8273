namespace RaftOrleans.Raft;

public enum Role
{
    Follower,
    /// <summary>Campaigning in the pre-vote phase (§9.6): asking whether it could win, without
    /// raising its term.</summary>
    PreCandidate,
    Candidate,
    Leader,
}

/// <summary>Volatile state that callers display: who leads and what this node is.</summary>
public readonly record struct SoftState(Role Role, string? Leader);
