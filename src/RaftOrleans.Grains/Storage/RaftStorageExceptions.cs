namespace RaftOrleans.Grains.Storage;

/// <summary>The stored log of a node does not have the shape it was written in (a segment is missing or
/// out of place). The node refuses to start rather than run on a damaged log.</summary>
[GenerateSerializer, Alias("RaftOrleans.RaftStorageCorruptException")]
public sealed class RaftStorageCorruptException : Exception
{
    public RaftStorageCorruptException(string message) : base(message) { }
}

/// <summary>The Raft storage schema could not be applied: the database is unreachable or refused it.</summary>
public sealed class RaftStorageUnavailableException(string message, Exception inner) : Exception(message, inner);
