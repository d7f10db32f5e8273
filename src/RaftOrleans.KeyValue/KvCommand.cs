namespace RaftOrleans.KeyValue;

/// <summary>
/// What one Raft log entry carries: an operation plus the client-session fields that make retries
/// exactly-once (Raft dissertation §6.3).
/// <para><b>Sessions.</b> A client first commits <see cref="OpenSession"/> with a fresh id (a Guid),
/// then numbers its commands 1, 2, 3, ... A command with <see cref="Sequence"/> ≥ 1 is applied at most
/// once: a retry of an applied sequence gets the first answer again. The client sends, with every command,
/// <see cref="LowestOutstandingSequence"/>: the lowest sequence whose answer it is still waiting for; the
/// session forgets answers below it. Commands may arrive out of order; each sequence is still applied once.</para>
/// <para><b>Unknown sessions.</b> A command with a sequence for a client id that has no live session
/// (never opened, expired, or evicted) is not applied; it answers <see cref="KvStatus.SessionExpired"/>.
/// Sessions are created only by <see cref="OpenSession"/>, never implicitly by sequence 1: otherwise a
/// retry of sequence 1 arriving after the session expired would be applied a second time. After
/// SessionExpired the client opens a new session under a new id (reusing the id would let old retries
/// in flight apply again).</para>
/// <para><b>Sequence 0</b> means no session: the command is applied each time it is committed, with no
/// deduplication. That is right for reads (get, list): a read re-applied after a retry returns the
/// current value, which is linearizable because every apply happens between invocation and response.
/// Writes with sequence 0 are at-least-once when retried: fine for a one-shot console command that
/// reports an unknown outcome instead of retrying.</para>
/// <para><b>Time.</b> A command carries no time of its own: the leader's clock travels beside it in the
/// log entry (the node's envelope) and reaches <see cref="KvStateMachine.Apply(long, long, ReadOnlyMemory{byte})"/>,
/// never the client's nor an applying node's. The state machine's clock follows the largest leader time
/// applied so far, moving at most <see cref="KvOptions.ClockStepLimitMs"/> per entry, so session expiry is
/// the same on every replica and one leader with a clock far ahead cannot expire every session at once.</para>
/// </summary>
public sealed record KvCommand(
    string ClientId,
    long Sequence,
    long LowestOutstandingSequence,
    KvOperation Operation)
{
    /// <summary>A command outside any session (sequence 0).</summary>
    public static KvCommand Unsessioned(KvOperation operation) => new(string.Empty, 0, 0, operation);

    /// <summary>Opens the session <paramref name="clientId"/>; idempotent while the session lives.</summary>
    public static KvCommand OpenSession(string clientId) => new(clientId, 0, 0, new OpenSessionOperation());

    /// <summary>A command of an open session.</summary>
    public static KvCommand InSession(string clientId, long sequence, long lowestOutstandingSequence,
        KvOperation operation) => new(clientId, sequence, lowestOutstandingSequence, operation);

    public bool HasSession => Sequence > 0;
}
