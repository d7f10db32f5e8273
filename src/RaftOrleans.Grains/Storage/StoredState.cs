namespace RaftOrleans.Grains.Storage;

// What a node keeps in grain storage, serialized with the Orleans binary serializer (see
// RaftSiloBuilderExtensions): field ids are the storage format, never renumber or reuse them.

/// <summary>
/// The node's one mutable row: Figure 2's persistent state (term, vote; commit too, so a restart never
/// shows it going back) plus the open tail of the log. Entries before <see cref="TailFirstIndex"/> live
/// in sealed, immutable segment rows reached backwards from <see cref="LastSealedSegment"/>. Every
/// Ready rewrites this row only (plus a new segment row when the tail fills up), so the cost of an
/// append is bounded by the segment size, not by the length of the log. The row's ETag is the fence
/// against a stale or duplicate activation.
/// </summary>
[GenerateSerializer, Alias("RaftOrleans.Storage.NodeState")]
public sealed class StoredNodeState
{
    [Id(0)] public long Term { get; set; }
    [Id(1)] public string? VotedFor { get; set; }
    [Id(2)] public long Commit { get; set; }
    /// <summary>Index of Tail[0] (the first index not in a sealed segment).</summary>
    [Id(3)] public long TailFirstIndex { get; set; } = 1;
    /// <summary>State name of the newest sealed segment, or null when every entry is in the tail.</summary>
    [Id(4)] public string? LastSealedSegment { get; set; }
    [Id(5)] public List<StoredEntry> Tail { get; set; } = new();
}

/// <summary>
/// A full, sealed run of log entries. Its state name is derived from its content and from its
/// predecessor's name (a hash chain), so a segment row is written once and never overwritten: a
/// truncation simply starts a new chain from the last segment it keeps, and a stale activation can
/// only add unreferenced rows, never change one the node state points to.
/// </summary>
[GenerateSerializer, Alias("RaftOrleans.Storage.LogSegment")]
public sealed class StoredLogSegment
{
    [Id(0)] public long FirstIndex { get; set; }
    [Id(1)] public string? PreviousSegment { get; set; }
    [Id(2)] public List<StoredEntry> Entries { get; set; } = new();
}

[GenerateSerializer, Immutable, Alias("RaftOrleans.Storage.Entry")]
public sealed record StoredEntry(
    [property: Id(0)] long Index,
    [property: Id(1)] long Term,
    [property: Id(2)] byte Kind,
    [property: Id(3)] byte[] Data);
