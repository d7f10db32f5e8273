using RaftOrleans.Raft.Log;
using RaftOrleans.Raft.Messages;
using RaftOrleans.Raft.Tracker;

namespace RaftOrleans.Raft;

/// <summary>
/// One Raft node as a pure, deterministic state machine (in the spirit of etcd's RawNode). It does no
/// I/O and reads no clock: time is <see cref="Tick"/>, randomness the seeded <see cref="Random"/>
/// handed in, and everything the host must do comes out of <see cref="GetReady"/> (see
/// <see cref="Ready"/> for the persist, send, apply, advance contract).
/// The rules live in partial files, one concern each: <c>RaftNode.Election.cs</c> (§5.2, §9.6, §6.2),
/// <c>RaftNode.Replication.cs</c> (§5.3, §5.4), <c>RaftNode.Snapshot.cs</c> (§7, Figure 13),
/// <c>RaftNode.Membership.cs</c> (dissertation §4.1-4.2), <c>RaftNode.Transfer.cs</c> (§3.10) and
/// <c>RaftNode.Reads.cs</c> (§6.4).
/// </summary>
public sealed partial class RaftNode
{
    private readonly RaftOptions _options;
    private readonly Random _random;
    private readonly RaftLog _log;
    private readonly Dictionary<string, Progress> _progress = new();
    private readonly Dictionary<string, bool> _votes = new();
    private List<RaftMessage> _outbox = new();

    private int _electionElapsedTicks;
    private int _heartbeatElapsedTicks;
    private int _randomizedElectionTimeoutTicks;
    private long _uncommittedBytes;
    private bool _appendsPending;

    private HardState _lastReadyHardState;
    private SoftState _lastReadySoftState;
    private Ready? _readyInFlight;

    public RaftNode(RaftOptions options, Random random, PersistentState? restored = null)
    {
        options.Validate();
        _options = options;
        _random = random;
        restored ??= PersistentState.Empty;
        var hard = restored.HardState;
        var snapshot = restored.Snapshot;
        var entries = snapshot is null ? restored.Entries : restored.Entries.Where(e => e.Index > snapshot.Index).ToList();
        _log = new RaftLog(snapshot?.Index ?? 0, snapshot?.Term ?? 0, entries, Math.Max(hard.Commit, snapshot?.Index ?? 0),
            Math.Max(options.AppliedIndex, snapshot?.Index ?? 0));
        _snapshot = snapshot;
        InitConfigs(snapshot is null ? new ClusterConfig(options.Voters) : snapshot.Config, snapshot?.Index ?? 0, snapshot?.Term ?? 0);
        Term = hard.Term;
        VotedFor = hard.VotedFor;
        _lastReadyHardState = new HardState(hard.Term, hard.VotedFor, _log.Committed);
        BecomeFollower(Term, leader: null);
        _lastReadySoftState = SoftState;
    }

    public string Id => _options.NodeId;

    public Role Role { get; private set; }

    /// <summary>currentTerm of Figure 2.</summary>
    public long Term { get; private set; }

    /// <summary>votedFor of Figure 2: who this node voted for in <see cref="Term"/>.</summary>
    public string? VotedFor { get; private set; }

    /// <summary>The leader of <see cref="Term"/> as far as this node knows.</summary>
    public string? Leader { get; private set; }

    public long CommitIndex => _log.Committed;

    public long AppliedIndex => _log.Applied;

    public long LastLogIndex => _log.LastIndex;

    public long LastLogTerm => _log.LastTerm;

    /// <summary>The first index still held in the log; earlier ones were compacted into a snapshot.</summary>
    public long FirstLogIndex => _log.FirstIndex;

    public SoftState SoftState => new(Role, Leader);

    private HardState HardState => new(Term, VotedFor, _log.Committed);

    /// <summary>Logical time in ticks since this node started.</summary>
    private long _ticks;

    /// <summary>Advances logical time by one tick: followers and candidates count towards an election
    /// timeout, leaders towards their next heartbeat and quorum check.</summary>
    public void Tick()
    {
        EnsureNoReadyInFlight(nameof(Tick));
        _ticks++;
        if (Role == Role.Leader) TickLeader();
        else TickElection();
    }

    /// <summary>Feeds one message from a peer into the node.</summary>
    public void Step(RaftMessage message)
    {
        EnsureNoReadyInFlight(nameof(Step));
        if (message.To != Id)
            throw new ArgumentException($"message for {message.To} stepped into {Id}", nameof(message));
        if (!IsKnownTermHandled(message)) return;
        switch (message)
        {
            case RequestVote request:
                HandleRequestVote(request);
                break;
            case RequestVoteResponse response:
                HandleRequestVoteResponse(response);
                break;
            case AppendEntries append:
                HandleAppendEntries(append);
                break;
            case AppendEntriesResponse response:
                HandleAppendEntriesResponse(response);
                break;
            case InstallSnapshot install:
                HandleInstallSnapshot(install);
                break;
            case InstallSnapshotResponse response:
                HandleInstallSnapshotResponse(response);
                break;
            case TimeoutNow timeoutNow:
                HandleTimeoutNow(timeoutNow);
                break;
            case ReadIndexRequest request:
                HandleReadIndexRequest(request);
                break;
            case ReadIndexResponse response:
                HandleReadIndexResponse(response);
                break;
            default:
                throw new ArgumentException($"unknown message type {message.GetType().Name}", nameof(message));
        }
    }

    /// <summary>Appends a command to the leader's log. Replication starts with the next Ready, so
    /// proposals made together travel together (batching).</summary>
    public ProposeResult Propose(byte[] command)
    {
        EnsureNoReadyInFlight(nameof(Propose));
        if (RefuseProposal() is { } refused) return refused;
        var entry = new LogEntry(_log.LastIndex + 1, Term, EntryKind.Command, command);
        if (_uncommittedBytes > 0 && _uncommittedBytes + entry.SizeBytes > _options.MaxUncommittedBytes)
            return ProposeResult.Refused(ProposeOutcome.Overloaded, Id);
        AppendAsLeader(entry);
        return ProposeResult.Accepted(entry.Index, entry.Term);
    }

    /// <summary>True when <see cref="GetReady"/> has something for the host to do.</summary>
    public bool HasReady =>
        _readyInFlight is null &&
        (_appendsPending || _readRoundPending || _outbox.Count > 0 || _readStates.Count > 0 || _receivedSnapshot is not null ||
         !HardState.Equals(_lastReadyHardState) || _log.HasUnwrittenEntries || _log.Applied < _log.ApplicableIndex(_options.AsyncStorageWrites) ||
         !SoftState.Equals(_lastReadySoftState));

    /// <summary>Collects what the host must do now. Follow with <see cref="Advance"/>.</summary>
    public Ready GetReady()
    {
        EnsureNoReadyInFlight(nameof(GetReady));
        if (_appendsPending)
        {
            _appendsPending = false;
            BroadcastAppends();
        }
        FlushReadRound();
        var hard = HardState;
        var soft = SoftState;
        var messages = _outbox;
        _outbox = new List<RaftMessage>();
        var readStates = _readStates;
        _readStates = new List<ReadState>();
        var ready = new Ready(
            hard.Equals(_lastReadyHardState) ? null : hard,
            _receivedSnapshot,
            _receivedSnapshotDiscardedLog,
            _log.TakeUnwrittenEntries(),
            messages,
            _log.CommittedNotApplied(_options.MaxCommittedEntriesPerReady, onlyDurable: _options.AsyncStorageWrites),
            readStates,
            soft.Equals(_lastReadySoftState) ? null : soft);
        _receivedSnapshot = null;
        _receivedSnapshotDiscardedLog = false;
        _readyInFlight = ready;
        return ready;
    }

    /// <summary>Tells the node that the host has persisted, sent and applied <paramref name="ready"/>
    /// (the simple contract of <see cref="Ready"/>).</summary>
    public void Advance(Ready ready)
    {
        if (_options.AsyncStorageWrites)
            throw new InvalidOperationException("with AsyncStorageWrites, use AdvanceWhileWriting and WriteDurable");
        TakeOver(ready);
        MarkDurable(ready);
    }

    /// <summary>
    /// The asynchronous contract (dissertation §10.2.1, in the spirit of etcd's asynchronous storage writes):
    /// the host has started <paramref name="ready"/>'s write, sent its <see cref="Ready.ImmediateMessages"/>
    /// and applied its committed entries, but the write may still be in flight. The node takes Tick, Step and
    /// Propose again at once, and the next Ready may be taken while this write is in flight. Every Ready
    /// taken this way must later be confirmed by <see cref="WriteDurable"/>, in the order they were taken.
    /// </summary>
    public void AdvanceWhileWriting(Ready ready)
    {
        if (!_options.AsyncStorageWrites)
            throw new InvalidOperationException("AdvanceWhileWriting needs AsyncStorageWrites; otherwise call Advance");
        TakeOver(ready);
        _writesInFlight.Enqueue(ready);
    }

    /// <summary>The write of <paramref name="ready"/> (and so of every Ready before it) is durable: the host
    /// may now send its <see cref="Ready.MessagesAfterWrite"/>. A Ready with nothing to write still comes
    /// through here, after those before it, since its acknowledgements may cover their entries.</summary>
    public void WriteDurable(Ready ready)
    {
        if (!_writesInFlight.TryPeek(out var oldest) || !ReferenceEquals(oldest, ready))
            throw new InvalidOperationException("WriteDurable must confirm the oldest Ready still being written");
        _writesInFlight.Dequeue();
        MarkDurable(ready);
    }

    /// <summary>Readys handed to the host whose write is not yet confirmed durable.</summary>
    private readonly Queue<Ready> _writesInFlight = new();

    private void TakeOver(Ready ready)
    {
        if (!ReferenceEquals(ready, _readyInFlight))
            throw new InvalidOperationException("Advance called with a Ready that is not the one in flight");
        _readyInFlight = null;
        if (ready.HardState is { } hard) _lastReadyHardState = hard;
        if (ready.SoftState is { } soft) _lastReadySoftState = soft;
        if (ready.CommittedEntries.Count > 0)
        {
            _log.AppliedTo(ready.CommittedEntries[^1].Index);
            _appliedSinceSnapshot += ready.CommittedEntries.Count;
        }
    }

    private void MarkDurable(Ready ready)
    {
        if (ready.Entries.Count == 0) return;
        _log.StableTo(ready.Entries[^1].Index, ready.Entries[^1].Term);
        // The leader counts itself towards a quorum only for entries it has made durable.
        if (Role == Role.Leader && MaybeCommit()) _appendsPending = true;
    }

    public RaftStatus Status()
    {
        var followers = Role == Role.Leader
            ? _progress.ToDictionary(p => p.Key,
                p => new FollowerStatus(p.Value.Match, p.Value.Next, p.Value.State.ToString().ToLowerInvariant(), p.Value.Inflight))
            : new Dictionary<string, FollowerStatus>();
        return new RaftStatus(Id, Role, Term, Leader, VotedFor, _log.Committed, _log.Applied, _log.LastIndex,
            _log.LastTerm, _log.FirstIndex - 1, Config, _transferTarget, followers);
    }

    /// <summary>The term of the entry at <paramref name="index"/>, or null if this node does not hold it.</summary>
    public long? TermAt(long index) => _log.TermAt(index);

    /// <summary>The entry at <paramref name="index"/>, for checkers and status; it must be held.</summary>
    public LogEntry EntryAt(long index) => _log.EntryAt(index);

    private ProposeResult? RefuseProposal()
    {
        if (Role != Role.Leader) return ProposeResult.Refused(ProposeOutcome.NotLeader, Leader);
        if (_transferTarget is not null) return ProposeResult.Refused(ProposeOutcome.TransferInProgress, Id);
        return null;
    }

    private void Send(RaftMessage message) => _outbox.Add(message);

    private void EnsureNoReadyInFlight(string operation)
    {
        if (_readyInFlight is not null)
            throw new InvalidOperationException($"{operation} called between GetReady and Advance");
    }

    private void ResetElectionTimer()
    {
        _electionElapsedTicks = 0;
        _randomizedElectionTimeoutTicks = _options.ElectionTicks + _random.Next(_options.ElectionTicks);
    }
}
