using RaftOrleans.KeyValue;

namespace RaftOrleans.Client;

/// <summary>A compare-and-swap's answer: <see cref="Swapped"/>, or the entry found instead
/// (<see cref="Current"/>, null when the key was absent). <see cref="Revision"/>: the store revision after it.</summary>
public sealed record CasResult(bool Swapped, KvEntry? Current, long Revision);

/// <summary>A prefix listing, in ordinal key order; <see cref="More"/> when the limit cut it short.</summary>
public sealed record KvListing(IReadOnlyList<KvEntry> Entries, bool More, long Revision);
