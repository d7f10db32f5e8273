namespace RaftOrleans.Raft.StateMachine;

/// <summary>
/// The replicated application (e.g. the key-value store) that a Raft node drives. The node calls
/// <see cref="Apply"/> for every committed command, in log order, exactly once per activation. A new
/// activation starts from a fresh instance, restores it from the node's latest snapshot
/// (<see cref="RestoreSnapshot"/>) and replays only the entries after it, so the state machine must be
/// deterministic and keep its state in memory only; everything it needs to carry on must be in
/// <see cref="TakeSnapshot"/>. It lives beside the core because it is the core's other half: no Orleans,
/// no storage, no clock of its own.
/// </summary>
public interface IRaftStateMachine
{
    /// <summary>Applies the command committed at <paramref name="index"/>; the returned bytes go back to
    /// the proposer. <paramref name="leaderTimeMs"/> is the wall clock (Unix ms) of the leader that
    /// appended it, carried in the entry beside the command, so a state machine that keeps time (session
    /// expiry) decides the same on every replica; 0 for an entry that carries no time. Must not throw for
    /// a bad command: answer with an error result instead, since every replica must take the same decision.</summary>
    byte[] Apply(long index, long leaderTimeMs, ReadOnlyMemory<byte> command);

    /// <summary>Answers a read-only <paramref name="query"/> from the state applied so far, changing
    /// nothing. The node calls it for a read once it has applied the read index (§6.4). Must not
    /// throw for a bad query: answer with an error result.</summary>
    byte[] Query(byte[] query);

    /// <summary>The whole state after the last applied command, as bytes that
    /// <see cref="RestoreSnapshot"/> turns back into the same state (on this node or another: a leader
    /// sends it to a follower whose log is behind its compacted log).</summary>
    byte[] TakeSnapshot();

    /// <summary>Replaces the whole state with the one <paramref name="snapshot"/> was taken from; the
    /// next <see cref="Apply"/> is for an index after the snapshot's.</summary>
    void RestoreSnapshot(byte[] snapshot);
}

/// <summary>Creates the state machine of one node activation (a node's first start, and every restart).</summary>
public interface IRaftStateMachineFactory
{
    IRaftStateMachine Create(string nodeId);
}
