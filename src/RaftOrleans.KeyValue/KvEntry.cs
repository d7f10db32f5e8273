namespace RaftOrleans.KeyValue;

/// <summary>
/// A key with its value and revisions, in etcd's terms: <paramref name="CreateRevision"/> is the store
/// revision that created the key, <paramref name="ModRevision"/> the one that last changed it, and
/// <paramref name="Version"/> counts the writes since it was created (1 on creation; a delete and a
/// re-create start again at 1).
/// </summary>
public sealed record KvEntry(string Key, string Value, long CreateRevision, long ModRevision, long Version);
