namespace RaftOrleans.KeyValue;

/// <summary>One operation on the key space. Keys and values are strings, limited and measured in
/// UTF-8 bytes (<see cref="KvOptions"/>); keys compare ordinally.</summary>
public abstract record KvOperation
{
    /// <summary>True for operations that never change the key space (get, list).</summary>
    public abstract bool IsReadOnly { get; }
}

/// <summary>Sets <paramref name="Key"/> to <paramref name="Value"/>, creating it when absent.</summary>
public sealed record PutOperation(string Key, string Value) : KvOperation
{
    public override bool IsReadOnly => false;
}

/// <summary>Reads <paramref name="Key"/>.</summary>
public sealed record GetOperation(string Key) : KvOperation
{
    public override bool IsReadOnly => true;
}

/// <summary>Removes <paramref name="Key"/>; <see cref="KvStatus.NotFound"/> when it is absent.</summary>
public sealed record DeleteOperation(string Key) : KvOperation
{
    public override bool IsReadOnly => false;
}

/// <summary>Compare-and-swap: sets <paramref name="Key"/> to <paramref name="Value"/> only if its current
/// value is <paramref name="Expected"/>; with <paramref name="Expected"/> null, only if the key is absent
/// (create-if-absent). Otherwise answers <see cref="KvStatus.CompareFailed"/> with the current entry.</summary>
public sealed record CasOperation(string Key, string? Expected, string Value) : KvOperation
{
    public override bool IsReadOnly => false;
}

/// <summary>Lists up to <paramref name="Limit"/> entries whose key starts with <paramref name="Prefix"/>
/// (empty prefix: all keys), in ordinal key order.</summary>
public sealed record ListOperation(string Prefix, int Limit) : KvOperation
{
    public override bool IsReadOnly => true;
}

/// <summary>Opens (or keeps alive) the session of the command's client id; see <see cref="KvCommand"/>.</summary>
public sealed record OpenSessionOperation : KvOperation
{
    public override bool IsReadOnly => false;
}
