namespace RaftOrleans.Raft;

/// <summary>The state machine's state after applying every entry up to <see cref="Index"/>, plus what Raft
/// needs to carry on from there: the term of that entry and the configuration in force (§5 of the
/// dissertation, Figure 5.1).</summary>
public sealed record Snapshot(long Index, long Term, ClusterConfig Config, byte[] Data)
{
    public override string ToString() => $"snapshot {Index}@{Term} ({Data.Length}B, {Config})";
}

/// <summary>The answer to a read request (§6.4): the read may be served once the state machine has
/// applied <see cref="Index"/>. <see cref="Failed"/> means leadership was lost or could not be
/// confirmed; the client should retry elsewhere.</summary>
public readonly record struct ReadState(long RequestId, long Index, bool Failed);
