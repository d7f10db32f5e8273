namespace RaftOrleans.KeyValue;

/// <summary>
/// The answer to one applied command; what the grain returns to the client.
/// <para><see cref="Revision"/> is the store revision after the command. <see cref="Entry"/>: put and
/// successful cas give the new entry, get the entry read, delete the entry removed, a failed cas the
/// current entry (null when absent). <see cref="Entries"/> and <see cref="More"/> answer a listing
/// (<see cref="More"/> when the limit cut it short). <see cref="Message"/> explains an error.</para>
/// </summary>
public sealed record KvResult(
    KvStatus Status,
    long Revision,
    KvEntry? Entry,
    IReadOnlyList<KvEntry> Entries,
    bool More,
    string? Message)
{
    public bool IsOk => Status == KvStatus.Ok;

    public static KvResult Ok(long revision, KvEntry? entry) => new(KvStatus.Ok, revision, entry, [], false, null);

    public static KvResult Listing(long revision, IReadOnlyList<KvEntry> entries, bool more) =>
        new(KvStatus.Ok, revision, null, entries, more, null);

    public static KvResult Error(KvStatus status, long revision, string message) =>
        new(status, revision, null, [], false, message);

    public static KvResult WithEntry(KvStatus status, long revision, KvEntry? entry) =>
        new(status, revision, entry, [], false, null);

    // Value equality over the listing too (a record compares lists by reference): replicas and tests
    // compare whole answers.
    public bool Equals(KvResult? other) =>
        other is not null
        && Status == other.Status
        && Revision == other.Revision
        && Equals(Entry, other.Entry)
        && Entries.SequenceEqual(other.Entries)
        && More == other.More
        && Message == other.Message;

    public override int GetHashCode() => HashCode.Combine(Status, Revision, Entry, Entries.Count, More, Message);

    public override string ToString()
    {
        var detail = Message
            ?? (Entries.Count > 0 || More ? $"{Entries.Count} entries{(More ? ", more" : "")}" : Entry?.ToString() ?? "no entry");
        return $"{Status} @rev {Revision}: {detail}";
    }
}
