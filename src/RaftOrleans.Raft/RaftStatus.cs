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
    IReadOnlyDictionary<string, FollowerStatus> Followers);

/// <summary>What a leader knows about one follower (empty on non-leaders).</summary>
public sealed record FollowerStatus(long MatchIndex, long NextIndex, bool Replicating, int InflightAppends);
