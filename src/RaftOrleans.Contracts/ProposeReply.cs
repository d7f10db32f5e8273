namespace RaftOrleans.Contracts;

public enum ProposeStatus
{
    /// <summary>The entry committed and was applied; <see cref="ProposeReply.Result"/> is the state
    /// machine's answer.</summary>
    Applied = 0,
    /// <summary>This node is not the leader; try <see cref="ProposeReply.LeaderHint"/> if set.</summary>
    NotLeader = 1,
    /// <summary>The entry was appended but another leader's entry took its index: it will never apply.
    /// Safe to retry.</summary>
    LeadershipLost = 2,
    /// <summary>The leader refused for now (too many uncommitted bytes, or a leadership transfer in
    /// progress). Nothing was appended; retry after a pause.</summary>
    Busy = 3,
    /// <summary>No answer in time (the entry may still commit later): the caller must treat the command
    /// as maybe applied, e.g. retry it under the same client session so it applies at most once.</summary>
    Unknown = 4,
    /// <summary>The node is stopping or was fenced by a newer activation; nothing was appended here.</summary>
    Unavailable = 5,
}

/// <summary>The answer to <see cref="IRaftNodeGrain.Propose"/>. Index and Term identify the log entry
/// (0 when nothing was appended).</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.ProposeReply")]
public sealed record ProposeReply(
    [property: Id(0)] ProposeStatus Status,
    [property: Id(1)] long Index,
    [property: Id(2)] long Term,
    [property: Id(3)] byte[]? Result,
    [property: Id(4)] string? LeaderHint);

/// <summary>A committed log entry as a node holds it, for tests and tools that compare logs across
/// nodes. Kind as in <see cref="WireEntry"/>. For a command, <see cref="Data"/> is the application's
/// command and <see cref="LeaderTimeMs"/> the clock of the leader that appended it (the node's envelope
/// taken off); for other kinds, the entry's bytes and 0.</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.CommittedEntry")]
public sealed record CommittedEntry(
    [property: Id(0)] long Index,
    [property: Id(1)] long Term,
    [property: Id(2)] byte Kind,
    [property: Id(3)] byte[] Data,
    [property: Id(4)] long LeaderTimeMs = 0);
