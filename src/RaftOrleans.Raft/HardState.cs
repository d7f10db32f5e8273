namespace RaftOrleans.Raft;

/// <summary>The state that must be durable before any message depending on it leaves the node
/// (Figure 2, "Persistent state on all servers"). Commit is persisted too so a restarted node never
/// shows a commit index going backwards; the paper allows recomputing it, etcd persists it.</summary>
public readonly record struct HardState(long Term, string? VotedFor, long Commit)
{
    public static HardState Empty => new(0, null, 0);
}
