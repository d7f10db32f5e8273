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
    /// <summary>The latest durable snapshot, or null before the first. Entries up to its index are not
    /// needed any more: the chain behind the tail is walked only while it holds later entries.</summary>
    [Id(6)] public StoredSnapshotManifest? Snapshot { get; set; }
    /// <summary>Drawn at random for every write (kept across retries of the same write): a writer whose
    /// answer was lost reads the row back and knows from this whether the row is its own write.</summary>
    [Id(7)] public long WriteId { get; set; }
    /// <summary>Write ids of rows whose successor was a claim (a new activation's first write, which inserts
    /// nothing): the rows named after them (see <see cref="RaftNodeStore"/>) were inserted by a write that
    /// never became durable, and are swept once; kept here until the sweep is done.</summary>
    [Id(8)] public List<long> UnsweptWriteIds { get; set; } = new();
    /// <summary>Segments a truncation unlinked: nothing references them, and they are deleted after the
    /// write that unlinked them; kept here until that is done.</summary>
    [Id(9)] public List<string> UnlinkedRows { get; set; } = new();
}

/// <summary>
/// Where a snapshot's bytes are (chunk rows, in order) and what Raft needs with them: the index and term
/// of the last entry it covers and the configuration in force there. Lives in the node row, so a
/// snapshot becomes the node's snapshot in the same write (and under the same ETag fence) that records
/// it; the chunk rows are written before and are unreferenced until then.
/// </summary>
[GenerateSerializer, Alias("RaftOrleans.Storage.SnapshotManifest")]
public sealed class StoredSnapshotManifest
{
    [Id(0)] public long Index { get; set; }
    [Id(1)] public long Term { get; set; }
    [Id(2)] public List<string> Voters { get; set; } = new();
    [Id(3)] public List<string> Learners { get; set; } = new();
    [Id(4)] public long Bytes { get; set; }
    [Id(5)] public List<string> Chunks { get; set; } = new();
    /// <summary>Chunk rows of the snapshot this one replaced: deleted once this manifest is durable; kept
    /// here so that rows a crash left behind are still found and deleted by the next activation.</summary>
    [Id(6)] public List<string> SupersededChunks { get; set; } = new();
}

/// <summary>One chunk of a snapshot's bytes. Named like a segment (the write that inserted it and the
/// chunk's position), and like a segment written once and never overwritten.</summary>
[GenerateSerializer, Alias("RaftOrleans.Storage.SnapshotChunk")]
public sealed class StoredSnapshotChunk
{
    [Id(0)] public long SnapshotIndex { get; set; }
    [Id(1)] public int Number { get; set; }
    [Id(2)] public byte[] Data { get; set; } = [];
}

/// <summary>
/// A full, sealed run of log entries, naming its predecessor. Its state name is unique to the write that
/// inserted it (the write id of the node row it was written on top of, and its position), so a segment
/// row is written once and never overwritten: a truncation simply starts a new chain from the last
/// segment it keeps, and a stale activation can only add unreferenced rows, never change one the node
/// state points to.
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
