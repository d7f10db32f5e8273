namespace RaftOrleans.Contracts;

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
