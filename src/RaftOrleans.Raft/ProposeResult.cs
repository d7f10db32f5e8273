namespace RaftOrleans.Raft;

public enum ProposeOutcome
{
    /// <summary>Appended to the leader's log at (Index, Term); committed later, or lost if this
    /// leader is deposed before a majority stores it.</summary>
    Accepted,
    /// <summary>This node is not the leader; <see cref="ProposeResult.LeaderHint"/> is the leader it
    /// knows of, if any.</summary>
    NotLeader,
    /// <summary>The leader is handing over leadership (§3.10) and takes no proposals until it ends.</summary>
    TransferInProgress,
    /// <summary>Too many uncommitted bytes: the client should back off and retry.</summary>
    Overloaded,
    /// <summary>A configuration change was refused; <see cref="ProposeResult.Reason"/> says why.</summary>
    ConfigChangeRefused,
}

public readonly record struct ProposeResult(ProposeOutcome Outcome, long Index, long Term, string? LeaderHint,
    string? Reason = null)
{
    public bool IsAccepted => Outcome == ProposeOutcome.Accepted;

    public static ProposeResult Accepted(long index, long term) => new(ProposeOutcome.Accepted, index, term, null);

    public static ProposeResult Refused(ProposeOutcome outcome, string? leaderHint) => new(outcome, 0, 0, leaderHint);

    public static ProposeResult ConfigRefused(string leader, string reason) =>
        new(ProposeOutcome.ConfigChangeRefused, 0, 0, leader, reason);
}
