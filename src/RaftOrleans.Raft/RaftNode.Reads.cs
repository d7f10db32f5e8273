using RaftOrleans.Raft.Messages;

namespace RaftOrleans.Raft;

// Linearizable reads without writing to the log (dissertation §6.4): ReadIndex, confirmed by a round of
// heartbeats, and optionally leases (§6.4.1).
public sealed partial class RaftNode
{
    private List<ReadState> _readStates = new();
    private readonly List<PendingRead> _pendingReads = new();
    private readonly List<PendingRead> _readsAwaitingTermCommit = new();
    private readonly Dictionary<long, long> _readRoundSentTick = new();

    /// <summary>Numbers heartbeat rounds; every append carries the current round, and followers echo it.</summary>
    private long _readContext;
    private bool _readRoundPending;
    private long _leaseStartTick = -1;

    /// <summary>Set once this leader started a leadership transfer in its term (see TransferLeadership).</summary>
    private bool _leaseRevokedByTransfer;

    /// <summary>
    /// Asks for a read index for request <paramref name="requestId"/>: the answer comes as a
    /// <see cref="ReadState"/> in a later Ready. On the leader, the index is its commit index once a
    /// heartbeat round confirms it still leads (a deposed leader never gets that confirmation); a
    /// follower forwards the request to the leader it knows. Returns false when no leader is known.
    /// </summary>
    /// <param name="allowLease">With <see cref="RaftOptions.LeaseReads"/>, whether this read may be served
    /// from the leader's lease; false forces a heartbeat round (a read forwarded to the leader asks for none).</param>
    public bool ReadIndex(long requestId, bool allowLease = true)
    {
        EnsureNoReadyInFlight(nameof(ReadIndex));
        if (Role == Role.Leader)
        {
            RegisterRead(new PendingRead(requestId, Requester: null, Context: 0, Index: 0, allowLease));
            return true;
        }
        if (Leader is null) return false;
        Send(new ReadIndexRequest(Id, Leader, Term, requestId));
        return true;
    }

    private void HandleReadIndexRequest(ReadIndexRequest request)
    {
        if (Role != Role.Leader)
        {
            Send(new ReadIndexResponse(Id, request.From, Term, request.RequestId, 0, Failed: true));
            return;
        }
        RegisterRead(new PendingRead(request.RequestId, request.From, Context: 0, Index: 0, _options.LeaseForForwardedReads));
    }

    private void HandleReadIndexResponse(ReadIndexResponse response) =>
        _readStates.Add(new ReadState(response.RequestId, response.Index, response.Failed));

    private void RegisterRead(PendingRead read)
    {
        // Until it commits an entry of its own term, a new leader does not know the commit index (§6.4 step 1).
        if (_log.TermAt(_log.Committed) != Term)
        {
            _readsAwaitingTermCommit.Add(read);
            return;
        }
        var index = _log.Committed;
        if (Config.Quorum == 1 && IsVoter || read.AllowLease && LeaseHolds())
        {
            Release(read with { Index = index });
            return;
        }
        _pendingReads.Add(read with { Context = _readContext + 1, Index = index });
        _readRoundPending = true;
    }

    /// <summary>Starts a heartbeat round whose acknowledgements confirm reads registered before it.</summary>
    private void StartReadRound()
    {
        _readRoundPending = false;
        _readContext++;
        _readRoundSentTick[_readContext] = LeaseNow();
    }

    private void FlushReadRound()
    {
        if (!_readRoundPending || Role != Role.Leader) return;
        StartReadRound();
        foreach (var peer in _progress.Keys) SendHeartbeat(peer, countStall: false);
    }

    private void OnReadContextAcknowledged(Tracker.Progress progress, long context)
    {
        if (context <= progress.AckedReadContext) return;
        progress.AckedReadContext = context;
        var confirmed = ConfirmedReadContext();
        if (confirmed == 0) return;
        if (_readRoundSentTick.TryGetValue(confirmed, out var sentTick)) _leaseStartTick = Math.Max(_leaseStartTick, sentTick);
        foreach (var stale in _readRoundSentTick.Keys.Where(c => c < confirmed).ToList()) _readRoundSentTick.Remove(stale);
        var released = 0;
        while (released < _pendingReads.Count && _pendingReads[released].Context <= confirmed)
        {
            Release(_pendingReads[released]);
            released++;
        }
        _pendingReads.RemoveRange(0, released);
    }

    /// <summary>The highest round acknowledged by a quorum of voters (counting ourselves).</summary>
    private long ConfirmedReadContext() => QuorumReached(long.MaxValue, progress => progress.AckedReadContext);

    /// <summary>§6.4.1: followers do not elect a new leader within an election timeout of hearing from
    /// this one, so for that long (less the clock drift bound) after a quorum acknowledged a heartbeat
    /// round, this node is certainly still the leader.</summary>
    /// <remarks>Timed on <see cref="RaftOptions.LeaseClock"/> when the host gives one: a host whose ticks can be
    /// dropped (while its storage stalls) would otherwise count less time than passed, and serve reads after
    /// the lease ran out. Without one, on ticks (the simulator, whose ticks are never dropped).</remarks>
    private bool LeaseHolds() =>
        _options.LeaseReads && _leaseStartTick >= 0 && !_leaseRevokedByTransfer &&
        LeaseNow() < _leaseStartTick + LeaseLength;

    /// <summary>Now, in the unit leases are timed in: the host's monotonic clock if it gave one, else ticks.
    /// _leaseStartTick and _readRoundSentTick hold times in this unit.</summary>
    private long LeaseNow() => _options.LeaseClock is { } clock ? clock() : _ticks;

    private long LeaseLength => _options.LeaseClock is null
        ? _options.ElectionTicks - _options.ClockDriftBoundTicks
        : _options.LeaseClockDuration;

    private void Release(PendingRead read)
    {
        if (read.Requester is null) _readStates.Add(new ReadState(read.RequestId, read.Index, Failed: false));
        else Send(new ReadIndexResponse(Id, read.Requester, Term, read.RequestId, read.Index, Failed: false));
    }

    private void OnFirstCommitInTerm()
    {
        var waiting = _readsAwaitingTermCommit.ToList();
        _readsAwaitingTermCommit.Clear();
        foreach (var read in waiting) RegisterRead(read);
    }

    /// <summary>Leadership is lost: no pending read can be confirmed any more.</summary>
    private void FailPendingReads()
    {
        foreach (var read in _pendingReads.Concat(_readsAwaitingTermCommit))
        {
            if (read.Requester is null) _readStates.Add(new ReadState(read.RequestId, 0, Failed: true));
            else Send(new ReadIndexResponse(Id, read.Requester, Term, read.RequestId, 0, Failed: true));
        }
        _pendingReads.Clear();
        _readsAwaitingTermCommit.Clear();
        _readRoundSentTick.Clear();
        _leaseStartTick = -1;
        _readRoundPending = false;
    }

    private sealed record PendingRead(long RequestId, string? Requester, long Context, long Index, bool AllowLease);
}
