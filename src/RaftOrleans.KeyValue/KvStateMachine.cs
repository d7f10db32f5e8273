using System.Runtime.InteropServices;
using RaftOrleans.KeyValue.Encoding;
using RaftOrleans.KeyValue.Sessions;

namespace RaftOrleans.KeyValue;

/// <summary>
/// The replicated key-value state machine. Deterministic: replicas that apply the same commands at the
/// same log indexes hold the same state, give the same answers and take byte-identical snapshots. It
/// reads no clock (time follows the leader timestamps applied, see <see cref="KvCommand"/>), does no
/// I/O and is not thread-safe: the host applies committed entries one at a time, in log order.
/// <para>User errors (a key too long, an expired session, undecodable bytes) are answers
/// (<see cref="KvStatus"/>), never exceptions: a committed entry must apply the same way everywhere.
/// Exceptions mean the host broke the contract (applying an index twice or out of order).</para>
/// </summary>
public sealed partial class KvStateMachine
{
    private readonly KvOptions _options;
    private readonly KeySpace _keys = new();
    private readonly SessionTable _sessions;

    public KvStateMachine(KvOptions? options = null)
    {
        _options = (options ?? KvOptions.Default).Validated();
        _sessions = new SessionTable(_options);
    }

    public KvOptions Options => _options;

    /// <summary>Index of the last log entry applied (or skipped); 0 before the first.</summary>
    public long AppliedIndex { get; private set; }

    /// <summary>Store revision: goes up by one with every change of the key space.</summary>
    public long Revision => _keys.Revision;

    /// <summary>The deterministic clock: follows the largest leader timestamp applied so far, but moves
    /// forward at most <see cref="KvOptions.ClockStepLimitMs"/> per entry (the first timestamp sets it).</summary>
    public long ClockMs { get; private set; }

    public int KeyCount => _keys.Count;

    public int SessionCount => _sessions.Count;

    /// <summary>Applies the command entry at <paramref name="logIndex"/> (bytes from <see cref="KvCommandCodec"/>),
    /// appended by a leader whose clock read <paramref name="leaderTimeMs"/> (0: the entry carries no time of
    /// its own; a command of the older format then gives the timestamp it holds).</summary>
    public KvResult Apply(long logIndex, long leaderTimeMs, ReadOnlyMemory<byte> command)
    {
        KvCommand decoded;
        long embeddedTimestampMs;
        try
        {
            if (!MemoryMarshal.TryGetArray(command, out var segment)) segment = command.ToArray();
            decoded = KvCommandCodec.DecodeEntry(segment, out embeddedTimestampMs);
        }
        catch (KvFormatException e)
        {
            AdvanceAppliedIndex(logIndex);
            return KvResult.Error(KvStatus.InvalidCommand, Revision, e.Message);
        }
        return Apply(logIndex, leaderTimeMs != 0 ? leaderTimeMs : embeddedTimestampMs, decoded);
    }

    /// <summary>Applies an already decoded command entry at <paramref name="logIndex"/>, at the leader's time
    /// <paramref name="leaderTimeMs"/>.</summary>
    public KvResult Apply(long logIndex, long leaderTimeMs, KvCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        AdvanceAppliedIndex(logIndex);
        AdvanceClock(leaderTimeMs);
        _sessions.SweepIfDue(ClockMs);

        var error = KvValidation.Validate(command, _options);
        if (error is not null)
        {
            return KvResult.Error(error.Status, Revision, error.Message);
        }
        if (command.Operation is OpenSessionOperation)
        {
            _sessions.Open(command.ClientId, ClockMs);
            return KvResult.Ok(Revision, null);
        }
        return command.HasSession ? ApplyInSession(command) : Execute(command.Operation);
    }

    /// <summary>Records that the entry at <paramref name="logIndex"/> (a no-op or configuration entry)
    /// was applied without touching the key space, so <see cref="AppliedIndex"/> stays exact.</summary>
    public void Skip(long logIndex) => AdvanceAppliedIndex(logIndex);

    /// <summary>Answers a read-only operation from the current state without the log: for a ReadIndex
    /// read (dissertation §6.4), once the host has made sure this replica has applied up to the read index.</summary>
    public KvResult Query(KvOperation operation)
    {
        if (!operation.IsReadOnly)
        {
            throw new ArgumentException($"{operation.GetType().Name} changes the store; propose it through the log.", nameof(operation));
        }
        var error = KvValidation.Validate(operation, _options);
        return error is null ? Execute(operation) : KvResult.Error(error.Status, Revision, error.Message);
    }

    private KvResult ApplyInSession(KvCommand command)
    {
        var session = _sessions.FindLive(command.ClientId, ClockMs);
        if (session is null)
        {
            return KvResult.Error(KvStatus.SessionExpired, Revision,
                $"session {command.ClientId} is unknown or expired; open a new session with a new client id");
        }
        session.LastActiveMs = ClockMs;
        session.Acknowledge(command.LowestOutstandingSequence);
        if (command.Sequence < session.LowestOutstanding)
        {
            return KvResult.Error(KvStatus.StaleSequence, Revision,
                $"sequence {command.Sequence} was already acknowledged by the client; not applied again");
        }
        if (session.TryGetAnswer(command.Sequence, out var firstAnswer))
        {
            return firstAnswer;
        }
        if (session.AnswerCount >= _options.MaxOutstandingPerSession)
        {
            return KvResult.Error(KvStatus.TooManyOutstanding, Revision,
                $"session {command.ClientId} already holds {session.AnswerCount} unacknowledged answers");
        }
        var answer = Execute(command.Operation);
        session.Remember(command.Sequence, answer);
        return answer;
    }

    private KvResult Execute(KvOperation operation) => operation switch
    {
        PutOperation put => ExecutePut(put),
        GetOperation get => _keys.Get(get.Key) is { } entry
            ? KvResult.Ok(Revision, entry)
            : KvResult.WithEntry(KvStatus.NotFound, Revision, null),
        DeleteOperation delete => _keys.Delete(delete.Key) is { } removed
            ? KvResult.Ok(Revision, removed)
            : KvResult.WithEntry(KvStatus.NotFound, Revision, null),
        CasOperation cas => ExecuteCas(cas),
        ListOperation list => ExecuteList(list),
        _ => throw new InvalidOperationException($"{operation.GetType().Name} is not executable."),
    };

    private KvResult ExecutePut(PutOperation put)
    {
        var written = _keys.Put(put.Key, put.Value);
        return KvResult.Ok(Revision, written);
    }

    private KvResult ExecuteCas(CasOperation cas)
    {
        var current = _keys.Get(cas.Key);
        if (current?.Value != cas.Expected)
        {
            return KvResult.WithEntry(KvStatus.CompareFailed, Revision, current);
        }
        var written = _keys.Put(cas.Key, cas.Value);
        return KvResult.Ok(Revision, written);
    }

    private KvResult ExecuteList(ListOperation list)
    {
        var (entries, more) = _keys.List(list.Prefix, list.Limit);
        return KvResult.Listing(Revision, entries, more);
    }

    /// <summary>A function of the entries alone, so every replica moves its clock the same way. The clamp
    /// keeps one leader whose clock runs far ahead from expiring every session in one entry.</summary>
    private void AdvanceClock(long leaderTimestampMs)
    {
        if (ClockMs == 0)
        {
            ClockMs = Math.Max(0, leaderTimestampMs);
        }
        else if (leaderTimestampMs > ClockMs)
        {
            ClockMs += Math.Min(leaderTimestampMs - ClockMs, _options.ClockStepLimitMs);
        }
    }

    private void AdvanceAppliedIndex(long logIndex)
    {
        if (logIndex <= AppliedIndex)
        {
            throw new InvalidOperationException(
                $"Entry {logIndex} applied after entry {AppliedIndex}: entries apply once each, in log order.");
        }
        AppliedIndex = logIndex;
    }
}
