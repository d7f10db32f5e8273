namespace RaftOrleans.Contracts;

// The Raft RPCs on the wire. They mirror the core's messages (RaftOrleans.Raft.Messages) field for
// field; RaftOrleans.Grains maps between the two so the core never depends on Orleans.
// Field ids are part of the wire format: never renumber or reuse them, only add new ones.

/// <summary>Every message carries its sender, its receiver and the sender's term.</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.Message")]
public abstract record WireMessage(
    [property: Id(0)] string From,
    [property: Id(1)] string To,
    [property: Id(2)] long Term);

/// <summary>RequestVote (Figure 2, §5.2); with PreVote the §9.6 probe; Transfer marks a TimeoutNow campaign.</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.RequestVote")]
public sealed record WireRequestVote(
    string From, string To, long Term,
    [property: Id(0)] long LastLogIndex,
    [property: Id(1)] long LastLogTerm,
    [property: Id(2)] bool PreVote,
    [property: Id(3)] bool Transfer) : WireMessage(From, To, Term);

[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.RequestVoteResponse")]
public sealed record WireRequestVoteResponse(
    string From, string To, long Term,
    [property: Id(0)] bool PreVote,
    [property: Id(1)] bool Granted) : WireMessage(From, To, Term);

/// <summary>AppendEntries (Figure 2, §5.3); empty Entries is a heartbeat.</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.AppendEntries")]
public sealed record WireAppendEntries(
    string From, string To, long Term,
    [property: Id(0)] long PrevLogIndex,
    [property: Id(1)] long PrevLogTerm,
    [property: Id(2)] WireEntry[] Entries,
    [property: Id(3)] long LeaderCommit,
    [property: Id(4)] long ReadContext) : WireMessage(From, To, Term);

[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.AppendEntriesResponse")]
public sealed record WireAppendEntriesResponse(
    string From, string To, long Term,
    [property: Id(0)] bool Success,
    [property: Id(1)] long MatchIndex,
    [property: Id(2)] long RejectedIndex,
    [property: Id(3)] long ConflictTerm,
    [property: Id(4)] long ConflictIndex,
    [property: Id(5)] long ReadContext) : WireMessage(From, To, Term);

/// <summary>Leadership transfer (§3.10): the receiver campaigns at once.</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.TimeoutNow")]
public sealed record WireTimeoutNow(string From, string To, long Term) : WireMessage(From, To, Term);

/// <summary>One log entry. Kind: 0 command, 1 no-op, 2 configuration change (the core's EntryKind).</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.Entry")]
public sealed record WireEntry(
    [property: Id(0)] long Index,
    [property: Id(1)] long Term,
    [property: Id(2)] byte Kind,
    [property: Id(3)] byte[] Data);

/// <summary>A cluster configuration (the core's ClusterConfig) as an InstallSnapshot carries it.</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.ClusterConfig")]
public sealed record WireClusterConfig(
    [property: Id(0)] string[] Voters,
    [property: Id(1)] string[] Learners);

/// <summary>InstallSnapshot (Figure 13), one chunk of the snapshot at <see cref="Offset"/>.</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.InstallSnapshot")]
public sealed record WireInstallSnapshot(
    string From, string To, long Term,
    [property: Id(0)] long SnapshotIndex,
    [property: Id(1)] long SnapshotTerm,
    [property: Id(2)] WireClusterConfig Config,
    [property: Id(3)] long Offset,
    [property: Id(4)] byte[] Chunk,
    [property: Id(5)] bool Done) : WireMessage(From, To, Term);

[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.InstallSnapshotResponse")]
public sealed record WireInstallSnapshotResponse(
    string From, string To, long Term,
    [property: Id(0)] long SnapshotIndex,
    [property: Id(1)] long NextOffset,
    [property: Id(2)] bool Installed) : WireMessage(From, To, Term);

/// <summary>A follower asks the leader for a read index (§6.4).</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.ReadIndexRequest")]
public sealed record WireReadIndexRequest(
    string From, string To, long Term,
    [property: Id(0)] long RequestId) : WireMessage(From, To, Term);

[GenerateSerializer, Immutable, Alias("RaftOrleans.Wire.ReadIndexResponse")]
public sealed record WireReadIndexResponse(
    string From, string To, long Term,
    [property: Id(0)] long RequestId,
    [property: Id(1)] long Index,
    [property: Id(2)] bool Failed) : WireMessage(From, To, Term);
