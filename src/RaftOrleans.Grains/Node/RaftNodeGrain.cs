using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.GrainDirectory;
using Orleans.Placement;
using Orleans.Storage;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Faults;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.Grains.Logging;
using RaftOrleans.Grains.Metrics;
using RaftOrleans.Grains.Placement;
using RaftOrleans.Grains.Storage;
using RaftOrleans.Grains.Wire;
using RaftOrleans.Raft;
using RaftOrleans.Raft.Messages;
using RaftOrleans.Raft.StateMachine;

namespace RaftOrleans.Grains.Node;

/// <summary>
/// One Raft node: a thin adaptor that gives the pure core (<see cref="RaftNode"/>) a clock (a grain
/// timer calling Tick), a network (grain calls to peers) and a disk (grain storage). Everything that
/// arrives is queued and fed to the core by one processing loop (RaftNodeGrain.Loop.cs) that follows the
/// Ready contract. Reentrant so that deliveries, ticks and status calls are served while the loop
/// awaits storage; safe because every core call happens synchronously between awaits, on the
/// activation's single-threaded scheduler. Immovable and pinned to the silo named like its key.
/// </summary>
[Reentrant, Immovable, RaftNodePlacement, GrainDirectory(RaftSiloBuilderExtensions.NodeDirectoryName)]
public sealed partial class RaftNodeGrain : Grain, IRaftNodeGrain
{
    /// <summary>Bounds the queue of undelivered incoming messages while the loop waits on storage.</summary>
    private const int MaxInboxMessages = 16_384;

    private readonly RaftNodeSettings _settings;
    private readonly IServiceProvider _services;
    private readonly IRaftStateMachineFactory _stateMachineFactory;
    private readonly ILocalSiloDetails _silo;
    private readonly ILogger<RaftNodeGrain> _logger;
    private readonly RaftNodeMetrics _metrics;

    /// <summary>Messages and ticks (null) in the order they happened. One queue, not two: after a slow
    /// storage write, the ticks that passed meanwhile must interleave with the heartbeats that arrived
    /// meanwhile, or a follower would count the whole stall as silence and campaign against a live
    /// leader (and a leader would fail its quorum check on acknowledgements it already holds).</summary>
    private readonly Queue<Inbound> _inbox = new();
    private readonly Queue<PendingProposal> _proposals = new();
    private readonly Dictionary<long, PendingProposal> _awaitingApply = new();
    /// <summary>Proposals that reached this node while it knew no live leader, oldest first, held until one is
    /// known (RaftNodeGrain.AwaitingLeader.cs).</summary>
    private readonly List<PendingProposal> _proposalsAwaitingLeader = new();
    private readonly Dictionary<string, PeerSender> _peers = new(StringComparer.Ordinal);

    private RaftNode _core = null!;
    private RaftNodeStore _store = null!;
    private IRaftStateMachine _stateMachine = null!;
    private IGrainTimer? _ticker;
    private int _queuedTicks;
    private long _droppedIncoming;
    private long _lastLeaderContactTimestamp;
    private string? _stoppedReason;

    /// <summary>The last log index applied to the state machine (commands and other entries alike).</summary>
    private long _appliedIndex;

    /// <summary>The hard state last made durable (term and vote decide whether a Ready must be written).</summary>
    private HardState _writtenHardState;

    // Counts for NodeStatus.Counters (RaftNodeGrain.Counters.cs), bumped where the outcome is decided.
    private long _proposalsAccepted;
    private long _proposalsRefused;
    private long _proposalsTimedOut;
    private long _readsLinearizable;
    private long _readsLease;
    private long _readsStale;

    public RaftNodeGrain(RaftNodeSettings settings, IServiceProvider services, IRaftStateMachineFactory stateMachineFactory,
        ILocalSiloDetails silo, ILogger<RaftNodeGrain> logger, RaftNodeMetrics metrics)
    {
        _metrics = metrics;
        _settings = settings;
        _services = services;
        _stateMachineFactory = stateMachineFactory;
        _silo = silo;
        _logger = logger;
    }

    private string NodeId => _settings.NodeId;

    private bool Stopped => _stoppedReason is not null;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        if (key != _settings.NodeId)
            throw new InvalidOperationException(
                $"silo '{_silo.Name}' hosts Raft node '{_settings.NodeId}' but was asked to activate node '{key}'");

        var storage = _services.GetRequiredKeyedService<IGrainStorage>(RaftSiloBuilderExtensions.StorageProviderName);
        _store = new RaftNodeStore(storage, this.GetGrainId(), _settings.LogSegmentEntries, _settings.SnapshotChunkBytes);
        var restored = await _store.LoadAsync();
        await ClaimNodeRowAsync();
        _writtenHardState = restored.HardState;
        _stateMachine = _stateMachineFactory.Create(NodeId);
        if (restored.Snapshot is { } snapshot) RestoreStateMachine(snapshot);
        var seed = Random.Shared.Next();
        _core = new RaftNode(_settings.CoreOptions with
        {
            AppliedIndex = _appliedIndex,
            // The loop steps on while a write is in flight (RaftNodeGrain.Loop.cs, RaftNodeGrain.Writes.cs).
            AsyncStorageWrites = true,
            PromotionLagEntries = PromotionLagEntries,
            // Lease reads (when the settings allow them) only when asked for (ReadLeased), timed on the monotonic
            // clock: ticks are dropped while storage stalls, so a tick count would let the lease outlive the
            // followers' timeout.
            LeaseClock = Stopwatch.GetTimestamp,
            LeaseClockDuration = _settings.LeaseDuration.Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond,
            LeaseForForwardedReads = false,
        }, new Random(seed), restored);
        DeleteObsoleteRows(); // rows a crash kept from being deleted after an earlier snapshot

        SyncPeerLinks([]); // links follow the configuration in force from here on (RaftNodeGrain.Membership.cs)

        var interval = TimeSpan.FromMilliseconds(_settings.TickIntervalMs);
        _ticker = this.RegisterGrainTimer(OnTick, new GrainTimerCreationOptions(interval, interval)
        {
            Interleave = true,
            KeepAlive = true,
        });
        _logger.Activated(NodeId, _silo.Name, restored.HardState.Term, restored.HardState.VotedFor ?? "-", restored.HardState.Commit,
            restored.Snapshot?.Index ?? 0, restored.Entries.Count, seed);
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Stop($"deactivated: {reason}");
        return Task.CompletedTask;
    }

    public Task<NodeStatus> GetStatus()
    {
        var status = _core.Status();
        long? sinceLeader = status.Role == Role.Leader ? 0
            : _lastLeaderContactTimestamp == 0 ? null
            : (long)Stopwatch.GetElapsedTime(_lastLeaderContactTimestamp).TotalMilliseconds;
        var role = ReportedRole(status);
        var faults = _services.GetRequiredService<NetworkFaultState>().Current;
        return Task.FromResult(new NodeStatus(NodeId, _silo.Name, role, status.Term, status.Leader, status.CommitIndex,
            status.AppliedIndex, status.LastLogIndex, sinceLeader)
        {
            FaultsVersion = faults.Version,
            Faults = faults.Summary,
            Activation = GrainContext.ActivationId.ToString(),
            SnapshotIndex = _core.LatestSnapshot?.Index ?? 0,
            FirstLogIndex = _core.FirstLogIndex,
            Stages = _metrics.Snapshot(),
            Counters = CountersNow(status),
        });
    }

    public Task Deliver(WireMessage[] batch, CancellationToken cancellationToken)
    {
        if (Stopped || batch is null) return Task.CompletedTask;
        var arrivedAt = Stopwatch.GetTimestamp();
        foreach (var wire in batch)
        {
            if (wire is null || wire.To != NodeId)
            {
                _logger.MisaddressedMessage(NodeId, wire?.To);
                continue;
            }
            if (_inbox.Count >= MaxInboxMessages)
            {
                if (_droppedIncoming++ % 1000 == 0)
                    _logger.InboxFull(NodeId, MaxInboxMessages, _droppedIncoming);
                continue;
            }
            try
            {
                var message = WireMapping.ToCore(wire);
                if (message is AppendEntriesResponse { Success: true } ack) OnAcknowledgementArrived(ack);
                _inbox.Enqueue(new Inbound(message, arrivedAt));
            }
            catch (ArgumentException e)
            {
                _logger.MalformedMessage(NodeId, wire.From, e.Message);
            }
        }
        Kick();
        return Task.CompletedTask;
    }

    public async Task<ClientReply> Propose(byte[] command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var proposal = new PendingProposal(command);
        if (Stopped)
        {
            _proposalsRefused++;
            proposal.Complete(ClientReplyStatus.Unavailable);
            return await proposal.Completion.Task;
        }
        if (_proposals.Count + _proposalsAwaitingLeader.Count + _awaitingApply.Count >= _settings.MaxPendingProposals)
        {
            // Refused before it reaches the core: certainly not in the log, so the client may retry it anywhere.
            _proposalsRefused++;
            proposal.Complete(ClientReplyStatus.Busy, leaderHint: _core.Leader);
            return await proposal.Completion.Task;
        }
        _proposals.Enqueue(proposal);
        Kick();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(_settings.ProposeTimeoutMs));
        // Fires on a pool thread: completing the source is thread safe, and the await below resumes on
        // the grain's scheduler.
        await using var onDeadline = deadline.Token.Register(() => proposal.Complete(ClientReplyStatus.Unknown));
        var reply = await proposal.Completion.Task;
        if (reply.Status == ClientReplyStatus.Unknown && deadline.IsCancellationRequested) _proposalsTimedOut++;
        if (reply.Status == ClientReplyStatus.Applied)
        {
            _metrics.RecordSince(WriteStages.ReplyWait, proposal.CompletedAt);
            _metrics.RecordSince(WriteStages.ProposeTotal, proposal.ArrivedAt);
        }
        return reply;
    }

    public Task<CommittedEntry[]> ReadCommittedLog(long fromIndex, int maxEntries)
    {
        if (fromIndex < 1) throw new ArgumentOutOfRangeException(nameof(fromIndex), "log indexes start at 1");
        if (maxEntries is < 1 or > 100_000) throw new ArgumentOutOfRangeException(nameof(maxEntries), "ask for 1 to 100000 entries");
        var upTo = Math.Min(_core.CommitIndex, fromIndex + maxEntries - 1);
        var entries = new List<CommittedEntry>();
        for (var index = Math.Max(fromIndex, _core.FirstLogIndex); index <= upTo; index++)
        {
            var entry = _core.EntryAt(index);
            if (entry.Kind == EntryKind.Command)
            {
                var (leaderTimeMs, command) = CommandEnvelope.Open(entry.Data);
                entries.Add(new CommittedEntry(entry.Index, entry.Term, (byte)entry.Kind, command.ToArray(), leaderTimeMs));
            }
            else
            {
                entries.Add(new CommittedEntry(entry.Index, entry.Term, (byte)entry.Kind, entry.Data));
            }
        }
        return Task.FromResult(entries.ToArray());
    }

    private Task OnTick(CancellationToken cancellationToken)
    {
        // While a storage write is stuck the ticks pile up; more than an election timeout's worth would
        // only fire the same timeout again.
        if (_queuedTicks < 2 * _settings.ElectionTicks)
        {
            _queuedTicks++;
            _inbox.Enqueue(new Inbound(null, Stopwatch.GetTimestamp()));
        }
        RefreshNodeRowLease();
        Kick();
        return Task.CompletedTask;
    }

    /// <summary>Stops acting for good: no more sends, ticks or storage writes; waiting proposers are told.</summary>
    private void Stop(string reason)
    {
        if (Stopped) return;
        _stoppedReason = reason;
        _logger.Stops(NodeId, _silo.Name, reason);
        _ticker?.Dispose();
        foreach (var peer in _peers.Values) peer.Stop();
        while (_proposals.TryDequeue(out var queued)) queued.Complete(ClientReplyStatus.Unavailable);
        foreach (var held in _proposalsAwaitingLeader) held.Complete(ClientReplyStatus.Unavailable);
        _proposalsAwaitingLeader.Clear();
        foreach (var waiting in _awaitingApply.Values) waiting.Complete(ClientReplyStatus.Unknown);
        _awaitingApply.Clear();
        FailReads(ClientReplyStatus.Unavailable);
        FailMembershipRequests(reason);
        _inbox.Clear();
        _queuedTicks = 0;
    }

    /// <summary>The role this node reports: the core's, a learner for a follower that does not vote, stopped once
    /// this activation stopped acting.</summary>
    private NodeRole ReportedRole(RaftStatus status) => Stopped ? NodeRole.Stopped : ReportedRole(status.Role, status.Config.IsLearner(NodeId));

    private static NodeRole ReportedRole(Role role, bool learner) => role switch
    {
        Role.Leader => NodeRole.Leader,
        Role.Follower => learner ? NodeRole.Learner : NodeRole.Follower,
        Role.Candidate => NodeRole.Candidate,
        Role.PreCandidate => NodeRole.PreCandidate,
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "a role the node cannot report"),
    };
}
