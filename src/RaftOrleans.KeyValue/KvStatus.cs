namespace RaftOrleans.KeyValue;

/// <summary>How a command ended. Everything but <see cref="Ok"/> means the key space did not change.
/// Values are part of the wire format: never renumber.</summary>
public enum KvStatus : byte
{
    /// <summary>Done. For get and delete: the key existed.</summary>
    Ok = 0,

    /// <summary>Get or delete of an absent key.</summary>
    NotFound = 1,

    /// <summary>Compare-and-swap whose expectation did not hold; the result carries the current entry (or none).</summary>
    CompareFailed = 2,

    /// <summary>The key is empty or longer than <see cref="KvOptions.MaxKeyBytes"/>.</summary>
    InvalidKey = 3,

    /// <summary>The value is longer than <see cref="KvOptions.MaxValueBytes"/>.</summary>
    ValueTooLarge = 4,

    /// <summary>The command is malformed: undecodable bytes, bad session fields, a list limit out of range.</summary>
    InvalidCommand = 5,

    /// <summary>The command's session is not live (never opened, expired or evicted): not applied.</summary>
    SessionExpired = 6,

    /// <summary>A sequence below what the client already acknowledged: its answer is gone; not applied again.</summary>
    StaleSequence = 7,

    /// <summary>The session already holds <see cref="KvOptions.MaxOutstandingPerSession"/> unacknowledged answers.</summary>
    TooManyOutstanding = 8,
}
