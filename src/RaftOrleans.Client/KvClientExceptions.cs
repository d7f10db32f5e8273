using RaftOrleans.KeyValue;

namespace RaftOrleans.Client;

/// <summary>The cluster gave no answer before the client's overall deadline, and the operation
/// certainly did not take effect (no attempt could have reached a leader's log). Console: exit 3.</summary>
public class KvUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    /// <summary>True when the operation may have taken effect (see <see cref="KvOutcomeUnknownException"/>).</summary>
    public virtual bool MayHaveTakenEffect => false;
}

/// <summary>Every node's gateway refused the connection, so no silo of the cluster is running; the operation
/// was given up before its deadline and certainly did not take effect (only with
/// <see cref="RaftKvClientOptions.GiveUpWhenNoNodeIsRunning"/>). Console: exit 3.</summary>
public sealed class KvNoNodeRunningException(string message) : KvUnavailableException(message);

/// <summary>The deadline passed after at least one attempt that may have reached a leader's log: the write
/// may have been applied (once, never twice: the client's session deduplicates retries) or not. Jepsen
/// calls this an <c>info</c> outcome. Console: exit 3.</summary>
public sealed class KvOutcomeUnknownException(string message, Exception? inner = null) : KvUnavailableException(message, inner)
{
    public override bool MayHaveTakenEffect => true;
}

/// <summary>The request is invalid (key empty or too long, value too large, list limit out of range); it was
/// refused before anything was sent. Console: exit 2.</summary>
public sealed class KvRequestException(KvStatus status, string message) : Exception(message)
{
    public KvStatus Status { get; } = status;
}
