namespace RaftOrleans.Raft;

/// <summary>A read-only picture of a node, for status displays and checkers.</summary>
public sealed record RaftStatus(
    string Id,
    Role Role,
    long Term,
    string? Leader,
    string? VotedFor,
    long CommitIndex,
    long AppliedIndex,
    long LastLogIndex,
    long LastLogTerm,
    long SnapshotIndex,
    ClusterConfig Config,
    string? TransferTarget,
    IReadOnlyDictionary<string, FollowerStatus> Followers);

/// <summary>What a leader knows about one follower (empty on non-leaders).</summary>
/// <remarks><see cref="State"/> is probe, replicate or snapshot.</remarks>
public sealed record FollowerStatus(long MatchIndex, long NextIndex, string State, int InflightAppends)
{
    public bool Replicating => State == "replicate";
}
