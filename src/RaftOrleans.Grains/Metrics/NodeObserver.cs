using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Logging;
using RaftOrleans.Grains.Hosting;

namespace RaftOrleans.Grains.Metrics;

/// <summary>
/// The node's state on the "RaftOrleans" meter: observable gauges and counters (role, term, commit,
/// applied, last and first log index, snapshot index, leader contact, leader changes, elections; and what
/// the node counts itself: proposals by outcome, reads by kind, elections started, inbox depth, each
/// follower's lag on the leader) that
/// read the latest status this observer took from the silo's own node grain. Reading the status rather
/// than reaching into the grain keeps the grain's loop free of metrics code, and a same-silo status call
/// costs microseconds. Each reading is also the one /healthz and /readyz judge (<see cref="ReadAsync"/>).
/// </summary>
public sealed class NodeObserver : BackgroundService
{
    /// <summary>How often the status is read: often enough to see every leader of a failover, cheap enough
    /// (one local grain call) to go unnoticed.</summary>
    public static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>A reading older than this is not reported: a scrape then shows the series absent rather
    /// than a frozen node's last values.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(3);

    public static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(1);


    private readonly IGrainFactory _grains;
    private readonly RaftNodeSettings _settings;
    private readonly ILogger<NodeObserver> _logger;
    private readonly NodeTransitions _transitions = new();
    private readonly KeyValuePair<string, object?> _nodeTag;
    private readonly Meter _meter = new(WriteStages.MeterName);
    private readonly object _gate = new();
    private NodeStatus? _latest;
    private long _latestTimestamp;
    private long _asked;
    private long _recordedAsked;

    public NodeObserver(IGrainFactory grains, RaftNodeSettings settings, ILogger<NodeObserver> logger)
    {
        _grains = grains;
        _settings = settings;
        _logger = logger;
        _nodeTag = new KeyValuePair<string, object?>("node", settings.NodeId);
        CreateInstruments();
    }

    /// <summary>One election timeout of this node (its shortest: the core randomizes up to twice that).</summary>
    public TimeSpan ElectionTimeout => TimeSpan.FromMilliseconds(_settings.ElectionTicks * _settings.TickIntervalMs);

    /// <summary>A fresh status of the node, within <see cref="StatusTimeout"/>; it counts as a reading too.</summary>
    public async Task<NodeStatus> ReadAsync(CancellationToken cancellationToken)
    {
        var asked = Interlocked.Increment(ref _asked);
        var status = await _grains.GetGrain<IRaftNodeGrain>(_settings.NodeId).GetStatus().WaitAsync(StatusTimeout, cancellationToken);
        Record(status, asked);
        return status;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SampleInterval);
        string? lastFailure = null;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ReadAsync(stoppingToken);
                lastFailure = null;
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Starting, stopping or a stuck node: the gauges go stale and say so by vanishing. Logged once per kind.
                var failure = e.GetType().Name;
                if (failure != lastFailure)
                {
                    _logger.StatusUnavailable(_settings.NodeId, e.Message);
                }

                lastFailure = failure;
            }
        }
    }

    public override void Dispose()
    {
        _meter.Dispose();
        base.Dispose();
    }

    /// <summary>Health probes read beside the sampler: a reading asked for before the one last recorded is
    /// older than it, and would make a term or leader seem to change back and forth.</summary>
    private void Record(NodeStatus status, long asked)
    {
        lock (_gate)
        {
            if (asked < _recordedAsked) return;
            _recordedAsked = asked;
            _transitions.Observe(status);
            _latest = status;
            _latestTimestamp = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>The latest reading, or null when it is stale.</summary>
    private NodeStatus? Fresh()
    {
        lock (_gate)
        {
            return _latest is not null && Stopwatch.GetElapsedTime(_latestTimestamp) < StaleAfter ? _latest : null;
        }
    }

    private void CreateInstruments()
    {
        Gauge("raftorleans.node.term", "the node's current term", status => status.Term);
        Gauge("raftorleans.node.commit_index", "highest log index known committed", status => status.CommitIndex);
        Gauge("raftorleans.node.applied_index", "highest log index applied to the state machine", status => status.AppliedIndex);
        Gauge("raftorleans.node.last_log_index", "last index in the node's log", status => status.LastLogIndex);
        Gauge("raftorleans.node.first_log_index", "first index the log still holds (older ones are in the snapshot)", status => status.FirstLogIndex);
        Gauge("raftorleans.node.snapshot_index", "last index covered by the node's latest snapshot (0: none)", status => status.SnapshotIndex);
        Gauge("raftorleans.node.apply_lag", "committed entries not yet applied", status => status.CommitIndex - status.AppliedIndex);
        _meter.CreateObservableGauge("raftorleans.node.leader_contact_age", () => Fresh() is { MillisecondsSinceLeaderContact: { } age }
                ? [new Measurement<double>(age / 1000.0, _nodeTag)]
                : Array.Empty<Measurement<double>>(),
            "s", "time since the node last heard from its leader (0 on the leader; absent when it never heard from one)");
        _meter.CreateObservableGauge("raftorleans.node.role", RoleMeasurements, null,
            "1 for the role the node plays, 0 for the others");
        Counter("raftorleans.node.leader_changes", "times the leader this node knows changed (its first leader included)", t => t.LeaderChanges);
        Counter("raftorleans.node.elections", "terms this node went through since its silo started (each begins with an election)", t => t.Elections);
        Counter("raftorleans.node.elections_won", "times this node became leader", t => t.ElectionsWon);
        // Counted by the node itself (NodeStatus.Counters): exact, where the transitions above are sampled.
        CounterByTag("raftorleans.node.proposals", "proposals this node's activation answered, by outcome", "outcome",
            ("accepted", c => c.ProposalsAccepted), ("refused", c => c.ProposalsRefused), ("timed_out", c => c.ProposalsTimedOut));
        CounterByTag("raftorleans.node.reads", "reads this node's activation served, by kind", "kind",
            ("linearizable", c => c.ReadsLinearizable), ("lease", c => c.ReadsLease), ("stale", c => c.ReadsStale));
        CounterByTag("raftorleans.node.elections_started", "times this node's activation became a candidate", null,
            ("", c => c.ElectionsStarted));
        Gauge("raftorleans.node.inbox_depth", "messages and ticks waiting for the node's loop", status => status.Counters.InboxDepth);
        _meter.CreateObservableGauge("raftorleans.node.follower_lag", FollowerLag, null,
            "on the leader: entries its log holds beyond each follower's match index");
    }

    private void CounterByTag(string name, string description, string? tag, params (string Value, Func<NodeCounters, long> Count)[] series) =>
        _meter.CreateObservableCounter(name, () => Fresh() is { } status
            ? series.Select(s => tag is null
                ? new Measurement<long>(s.Count(status.Counters), _nodeTag)
                : new Measurement<long>(s.Count(status.Counters), _nodeTag, new KeyValuePair<string, object?>(tag, s.Value))).ToArray()
            : Array.Empty<Measurement<long>>(), null, description);

    private IEnumerable<Measurement<long>> FollowerLag()
    {
        if (Fresh() is not { } status) return [];
        return status.Counters.FollowerMatch.Select(follower => new Measurement<long>(
            Math.Max(0, status.LastLogIndex - follower.Value), _nodeTag, new KeyValuePair<string, object?>("follower", follower.Key)));
    }

    private void Gauge(string name, string description, Func<NodeStatus, long> value) =>
        _meter.CreateObservableGauge(name, () => Fresh() is { } status
            ? [new Measurement<long>(value(status), _nodeTag)]
            : Array.Empty<Measurement<long>>(), null, description);

    private void Counter(string name, string description, Func<NodeTransitions, long> value) =>
        _meter.CreateObservableCounter(name, () =>
        {
            lock (_gate)
            {
                return new Measurement<long>(value(_transitions), _nodeTag);
            }
        }, null, description);

    private IEnumerable<Measurement<int>> RoleMeasurements()
    {
        if (Fresh() is not { } status) return [];
        return NodeRoleNames.All.Select(role => new Measurement<int>(role == status.Role ? 1 : 0, _nodeTag, new KeyValuePair<string, object?>("role", role.Name())));
    }
}
