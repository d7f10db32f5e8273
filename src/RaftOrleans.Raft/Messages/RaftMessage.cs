namespace RaftOrleans.Raft.Messages;

/// <summary>Every message between Raft nodes carries its sender, its receiver and the sender's term
/// (for a pre-vote request: the term the sender would campaign in, §9.6).</summary>
public abstract record RaftMessage(string From, string To, long Term);

/// <summary>RequestVote RPC (Figure 2, §5.2). With <see cref="PreVote"/> it is the pre-vote probe of
/// §9.6: granting it changes no state. <see cref="Transfer"/> marks a campaign started by TimeoutNow
/// (§3.10), which voters honour even while they still hear from a leader.</summary>
public sealed record RequestVote(string From, string To, long Term, long LastLogIndex, long LastLogTerm,
    bool PreVote, bool Transfer) : RaftMessage(From, To, Term);

public sealed record RequestVoteResponse(string From, string To, long Term, bool PreVote, bool Granted)
    : RaftMessage(From, To, Term);

/// <summary>AppendEntries RPC (Figure 2, §5.3). An empty one is a heartbeat. <see cref="ReadContext"/>
/// is echoed in the response so the leader can confirm a ReadIndex round (§6.4); 0 when unused.</summary>
public sealed record AppendEntries(string From, string To, long Term, long PrevLogIndex, long PrevLogTerm,
    IReadOnlyList<LogEntry> Entries, long LeaderCommit, long ReadContext = 0) : RaftMessage(From, To, Term)
{
    public long LastIndex => PrevLogIndex + Entries.Count;
}

/// <summary>Answer to <see cref="AppendEntries"/>. On success <see cref="MatchIndex"/> is the last
/// index known to match the leader's log. On rejection the follower says which PrevLogIndex it
/// rejected and where the leader should back up to (the conflict term and the first index of that
/// term in its log, the optimisation described at the end of §5.3).</summary>
public sealed record AppendEntriesResponse(string From, string To, long Term, bool Success, long MatchIndex,
    long RejectedIndex, long ConflictTerm, long ConflictIndex, long ReadContext = 0)
    : RaftMessage(From, To, Term);

/// <summary>Sent by a leader handing over leadership (§3.10): the receiver campaigns at once.</summary>
public sealed record TimeoutNow(string From, string To, long Term) : RaftMessage(From, To, Term);

/// <summary>InstallSnapshot RPC (Figure 13), one chunk at a time. A follower assembles chunks at
/// increasing offsets; a lost chunk is resent from the offset the follower last acknowledged, and a
/// new leader or a newer snapshot starts again at offset 0.</summary>
public sealed record InstallSnapshot(string From, string To, long Term, long SnapshotIndex, long SnapshotTerm,
    ClusterConfig Config, long Offset, byte[] Chunk, bool Done) : RaftMessage(From, To, Term);

/// <summary>Acknowledges snapshot bytes up to <see cref="NextOffset"/>; with <see cref="Installed"/> the
/// whole snapshot is in place and the follower's log matches the leader's up to its index.</summary>
public sealed record InstallSnapshotResponse(string From, string To, long Term, long SnapshotIndex, long NextOffset,
    bool Installed) : RaftMessage(From, To, Term);

/// <summary>A follower asks the leader for a read index on behalf of a client (§6.4).</summary>
public sealed record ReadIndexRequest(string From, string To, long Term, long RequestId) : RaftMessage(From, To, Term);

/// <summary>The leader's answer: the follower may serve the read once it has applied <see cref="Index"/>.</summary>
public sealed record ReadIndexResponse(string From, string To, long Term, long RequestId, long Index, bool Failed)
    : RaftMessage(From, To, Term);
