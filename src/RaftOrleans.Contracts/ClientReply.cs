namespace RaftOrleans.Contracts;

/// <summary>How a node answered a command or a read (<see cref="ClientReply"/>).</summary>
public enum ClientReplyStatus
{
    /// <summary>The entry committed and was applied (a read: it was served from the state applied up to
    /// <see cref="ClientReply.Index"/>); <see cref="ClientReply.Result"/> is the state machine's answer.</summary>
    Applied = 0,
    /// <summary>This node is not the leader; try <see cref="ClientReply.LeaderHint"/> if set.</summary>
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

/// <summary>A node's answer to a client: to <see cref="IRaftNodeGrain.Propose"/> (Index and Term identify the
/// log entry, 0 when nothing was appended) and to <see cref="IRaftNodeGrain.Read"/> (the index the read was
/// served at).</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.ClientReply")]
public sealed record ClientReply(
    [property: Id(0)] ClientReplyStatus Status,
    [property: Id(1)] long Index,
    [property: Id(2)] long Term,
    [property: Id(3)] byte[]? Result,
    [property: Id(4)] string? LeaderHint);
