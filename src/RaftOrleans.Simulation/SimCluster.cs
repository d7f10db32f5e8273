using RaftOrleans.Raft;
using RaftOrleans.Raft.Messages;

namespace RaftOrleans.Simulation;

/// <summary>
/// A whole cluster of Raft cores on a simulated network, driven tick by tick. Everything — elections,
/// message loss, delay, duplication, partitions, crashes — is decided by one seeded <see cref="Random"/>,
/// so a run is reproduced exactly by its seed. The <see cref="SafetyChecker"/> looks at every node
/// after every Ready it processes and throws on the first violated property.
/// </summary>
public sealed class SimCluster
{
    private readonly Random _random;
    private readonly Func<string, RaftOptions> _optionsFor;
    private readonly Dictionary<string, SimNode> _nodes = new();
    private readonly PriorityQueue<RaftMessage, (long DeliverAt, long Sequence)> _inFlight = new();
    private readonly HashSet<(string From, string To)> _blockedLinks = new();
    private readonly Dictionary<string, SoftState> _lastSoftState = new();
    private long _sequence;
    private long _reportedCommit;
    private long _reportedCommitAt = long.MinValue;

    /// <summary>Commit progress is reported at most once per this many ticks, to keep timelines readable.</summary>
    public int CommitReportIntervalTicks { get; set; } = 100;

    public SimCluster(IReadOnlyList<string> nodeIds, int seed, Func<string, RaftOptions>? optionsFor = null)
    {
        Seed = seed;
        _random = new Random(seed);
        NodeIds = nodeIds;
        _optionsFor = optionsFor ?? (id => DefaultOptions(id, nodeIds));
        foreach (var id in nodeIds)
        {
            var node = new SimNode(id);
            _nodes[id] = node;
            StartNode(node);
        }
    }

    public int Seed { get; }

    public IReadOnlyList<string> NodeIds { get; }

    public long Time { get; private set; }

    public NetworkFaults Faults { get; set; } = NetworkFaults.Reliable;

    /// <summary>Chance that a node crashes while processing a Ready, before persisting it: whatever that
    /// Ready held (entries, vote, commit) is lost, as on a real machine that dies mid-write.</summary>
    public double CrashBeforePersistRate { get; set; }

    /// <summary>Chance that a node crashes right after a Ready's write became durable, before it sent or
    /// applied anything: a write that succeeded without telling its caller, after which the host gave up.</summary>
    public double CrashAfterPersistRate { get; set; }

    public SafetyChecker Checker { get; } = new();

    /// <summary>When on, a node takes a snapshot and compacts its log whenever its core says one is due.</summary>
    public bool TakeSnapshots { get; set; }

    public long SnapshotsTaken { get; private set; }

    public long SnapshotsInstalled { get; private set; }

    /// <summary>Read requests answered (not failed), each checked to be linearizable.</summary>
    public long ReadsServed { get; private set; }

    private readonly Dictionary<long, (string Node, long CommittedAtRequest)> _readsInFlight = new();
    private long _nextReadId;

    /// <summary>The timeline: elections, leaders, commits, faults, crashes and restarts.</summary>
    public List<string> Events { get; } = new();

    public long MessagesSent { get; private set; }

    /// <summary>Messages sent, by message type name (AppendEntries, InstallSnapshot, ...).</summary>
    public Dictionary<string, long> MessagesByType { get; } = new();

    public SimNode this[string id] => _nodes[id];

    public IEnumerable<SimNode> Nodes => NodeIds.Select(id => _nodes[id]);

    public static RaftOptions DefaultOptions(string id, IReadOnlyList<string> voters) => new()
    {
        NodeId = id,
        Voters = voters,
        ElectionTicks = 10,
        HeartbeatTicks = 2,
        MaxEntriesPerAppend = 8,
        MaxInflightAppends = 4,
        // Small enough that runs of a few thousand ticks snapshot often, and send snapshots in chunks.
        SnapshotThresholdEntries = 40,
        SnapshotTrailingEntries = 5,
        MaxSnapshotChunkBytes = 64,
        PromotionLagEntries = 10,
    };

    /// <summary>The leader with the highest term among live nodes, or null.</summary>
    public SimNode? Leader() =>
        Nodes.Where(n => n.Raft?.Role == Role.Leader).OrderByDescending(n => n.Raft!.Term).FirstOrDefault();

    /// <summary>Advances time by one tick: every live node ticks, then due messages are delivered and
    /// every node's Ready is processed.</summary>
    public void Tick()
    {
        Time++;
        foreach (var node in Nodes)
        {
            node.Raft?.Tick();
            ProcessReady(node);
        }
        while (_inFlight.TryPeek(out _, out var due) && due.DeliverAt <= Time)
        {
            var message = _inFlight.Dequeue();
            var target = _nodes[message.To];
            if (target.Raft is null || _blockedLinks.Contains((message.From, message.To))) continue;
            target.Raft.Step(message);
            ProcessReady(target);
        }
        ReportCommits();
    }

    public void Run(int ticks)
    {
        for (var i = 0; i < ticks; i++) Tick();
    }

    /// <summary>Ticks until <paramref name="condition"/> holds; false if it does not within the limit.</summary>
    public bool RunUntil(Func<bool> condition, int maxTicks)
    {
        for (var i = 0; i < maxTicks; i++)
        {
            if (condition()) return true;
            Tick();
        }
        return condition();
    }

    /// <summary>Proposes a command at <paramref name="nodeId"/>.</summary>
    public ProposeResult Propose(string nodeId, byte[] command)
    {
        var node = _nodes[nodeId];
        if (node.Raft is null) return ProposeResult.Refused(ProposeOutcome.NotLeader, null);
        var result = node.Raft.Propose(command);
        ProcessReady(node);
        return result;
    }

    /// <summary>Makes the node campaign at once, as if its election timer fired.</summary>
    public void Campaign(string nodeId)
    {
        var node = _nodes[nodeId];
        node.Raft?.Campaign();
        ProcessReady(node);
    }

    /// <summary>Proposes a membership change at <paramref name="nodeId"/>.</summary>
    public ProposeResult ChangeMembership(string nodeId, ConfigChange change)
    {
        var node = _nodes[nodeId];
        if (node.Raft is null) return ProposeResult.Refused(ProposeOutcome.NotLeader, null);
        var result = node.Raft.ProposeConfigChange(change);
        if (result.IsAccepted) Log($"{nodeId} proposes {change} at index {result.Index}");
        ProcessReady(node);
        return result;
    }

    /// <summary>Asks <paramref name="nodeId"/>'s leader to hand over leadership to <paramref name="target"/>.</summary>
    public string? TransferLeadership(string nodeId, string target)
    {
        var node = _nodes[nodeId];
        if (node.Raft is null) return $"{nodeId} is down";
        var refusal = node.Raft.TransferLeadership(target);
        if (refusal is null) Log($"{nodeId} transfers leadership to {target}");
        ProcessReady(node);
        return refusal;
    }

    /// <summary>Starts a linearizable read at <paramref name="nodeId"/>. When it is answered, the checker
    /// requires its read index to cover every entry committed anywhere before the request.</summary>
    public bool RequestRead(string nodeId)
    {
        var node = _nodes[nodeId];
        if (node.Raft is null) return false;
        var id = ++_nextReadId;
        if (!node.Raft.ReadIndex(id)) return false;
        _readsInFlight[id] = (nodeId, Checker.HighestCommittedIndex);
        ProcessReady(node);
        return true;
    }

    public void Crash(string nodeId)
    {
        var node = _nodes[nodeId];
        if (!node.IsUp) return;
        node.Crash();
        Log($"{nodeId} crashed");
    }

    public void Restart(string nodeId)
    {
        var node = _nodes[nodeId];
        if (node.IsUp) return;
        StartNode(node);
        Log($"{nodeId} restarted (term {node.Raft!.Term}, {node.DurableLog.Count} entries on disk)");
    }

    /// <summary>Splits the network: nodes talk only within their own group.</summary>
    public void Partition(params IReadOnlyList<string>[] groups)
    {
        _blockedLinks.Clear();
        foreach (var a in groups)
        foreach (var b in groups)
        {
            if (ReferenceEquals(a, b)) continue;
            foreach (var from in a)
            foreach (var to in b)
                _blockedLinks.Add((from, to));
        }
        Log("partition " + string.Join(" | ", groups.Select(g => "{" + string.Join(",", g) + "}")));
    }

    /// <summary>Cuts one node off from all others, both ways.</summary>
    public void Isolate(string nodeId) =>
        Partition(new[] { nodeId }, NodeIds.Where(id => id != nodeId).ToArray());

    /// <summary>Messages from <paramref name="from"/> to <paramref name="to"/> are lost; the other
    /// direction still works.</summary>
    public void BlockOneWay(string from, string to)
    {
        _blockedLinks.Add((from, to));
        Log($"link {from} -> {to} cut (one way)");
    }

    public void Heal()
    {
        if (_blockedLinks.Count == 0) return;
        _blockedLinks.Clear();
        Log("network healed");
    }

    public bool IsConnected(string from, string to) => !_blockedLinks.Contains((from, to));

    private void StartNode(SimNode node)
    {
        node.Start(_optionsFor(node.Id), new Random(_random.Next()));
        if (node.DurableSnapshot is not null)
            Checker.OnSnapshotRestored(node.Id, node.Incarnation, node.StateMachine.AppliedIndex, node.StateMachine.Digest);
        _lastSoftState[node.Id] = node.Raft!.SoftState;
        ProcessReady(node);
    }

    /// <summary>With the asynchronous contract, each write takes up to this many ticks to become durable.</summary>
    public int MaxWriteDelayTicks { get; set; } = 5;

    /// <summary>The host loop of the contract in <see cref="Ready"/>: persist, send, apply, advance.</summary>
    private void ProcessReady(SimNode node)
    {
        while (node.Raft is { } running && (running.HasReady || HasDueWrite(node)))
        {
            var raft = running;
            if (node.AsyncWrites)
            {
                ProcessReadyWhileWriting(node, raft);
                continue;
            }
            var ready = raft.GetReady();
            if (ready.MustPersist && CrashBeforePersistRate > 0 && _random.NextDouble() < CrashBeforePersistRate)
            {
                node.Crash();
                Log($"{node.Id} crashed before persisting {ready.Entries.Count} entries");
                return;
            }
            var (prevTerm, written) = node.Persist(ready);
            if (written.Count > 0) Checker.OnEntriesPersisted(node.Id, prevTerm, written);
            if (ready.MustPersist && CrashAfterPersistRate > 0 && _random.NextDouble() < CrashAfterPersistRate)
            {
                node.Crash();
                Log($"{node.Id} crashed after persisting {ready.Entries.Count} entries, before sending");
                return;
            }
            foreach (var message in ready.Messages) Send(message);
            Apply(node, ready);
            raft.Advance(ready);
            AfterAdvance(node, raft, ready);
        }
    }

    /// <summary>The asynchronous contract (dissertation §10.2.1): what promises nothing leaves now, the write
    /// completes later, and only then do votes and acknowledgements go out. Meanwhile the node goes on.</summary>
    private void ProcessReadyWhileWriting(SimNode node, RaftNode raft)
    {
        if (raft.HasReady)
        {
            var ready = raft.GetReady();
            foreach (var message in ready.ImmediateMessages) Send(message);
            Apply(node, ready);
            raft.AdvanceWhileWriting(ready);
            node.PendingWrites.Enqueue((ready, Time + _random.Next(0, MaxWriteDelayTicks + 1)));
            AfterAdvance(node, raft, ready);
        }
        while (HasDueWrite(node))
        {
            var (written, _) = node.PendingWrites.Dequeue();
            if (written.MustPersist && CrashBeforePersistRate > 0 && _random.NextDouble() < CrashBeforePersistRate)
            {
                node.Crash();
                Log($"{node.Id} crashed before its write of {written.Entries.Count} entries was durable");
                return;
            }
            var (prevTerm, entries) = node.Persist(written);
            if (entries.Count > 0) Checker.OnEntriesPersisted(node.Id, prevTerm, entries);
            if (written.MustPersist && CrashAfterPersistRate > 0 && _random.NextDouble() < CrashAfterPersistRate)
            {
                node.Crash();
                Log($"{node.Id} crashed after persisting {written.Entries.Count} entries, before sending");
                return;
            }
            raft.WriteDurable(written);
            foreach (var message in written.MessagesAfterWrite) Send(message);
            Checker.Observe(node.View());
        }
    }

    /// <summary>The apply step of both contracts: a received snapshot first, then committed entries, then reads.</summary>
    private void Apply(SimNode node, Ready ready)
    {
        if (ready.Snapshot is { } snapshot)
        {
            node.RestoreSnapshot(snapshot);
            SnapshotsInstalled++;
            Checker.OnSnapshotRestored(node.Id, node.Incarnation, snapshot.Index, node.StateMachine.Digest);
            Log($"{node.Id} installed a snapshot at index {snapshot.Index}{(ready.LogDiscarded ? ", discarding its log" : "")}");
        }
        foreach (var entry in ready.CommittedEntries)
        {
            Checker.OnApplied(node.Id, node.Incarnation, entry);
            node.Apply(entry);
            Checker.OnStateDigest(node.Id, entry.Index, node.StateMachine.Digest);
        }
        foreach (var read in ready.ReadStates) CheckRead(node, read);
    }

    /// <summary>What follows Advance in both contracts: a snapshot if one is due, the timeline, the checkers.</summary>
    private void AfterAdvance(SimNode node, RaftNode raft, Ready ready)
    {
        if (TakeSnapshots && raft.SnapshotDue)
        {
            node.TakeSnapshot();
            SnapshotsTaken++;
        }
        if (ready.SoftState is { } soft) ReportRoleChange(node, soft);
        Checker.Observe(node.View());
    }

    private bool HasDueWrite(SimNode node) =>
        node.Raft is not null && node.PendingWrites.TryPeek(out var write) && write.DurableAt <= Time;

    private void CheckRead(SimNode node, ReadState read)
    {
        if (!_readsInFlight.Remove(read.RequestId, out var request) || read.Failed) return;
        if (request.Node != node.Id)
            throw new SafetyViolationException("Read routing", $"read {read.RequestId} from {request.Node} was answered at {node.Id}");
        if (read.Index < request.CommittedAtRequest)
            throw new SafetyViolationException("Linearizable reads",
                $"{node.Id} got read index {read.Index} for a read started when {request.CommittedAtRequest} was already committed");
        ReadsServed++;
    }

    private void Send(RaftMessage message)
    {
        MessagesSent++;
        var type = message.GetType().Name;
        MessagesByType[type] = MessagesByType.GetValueOrDefault(type) + 1;
        if (_blockedLinks.Contains((message.From, message.To))) return;
        if (Faults.DropRate > 0 && _random.NextDouble() < Faults.DropRate) return;
        var copies = Faults.DuplicateRate > 0 && _random.NextDouble() < Faults.DuplicateRate ? 2 : 1;
        for (var i = 0; i < copies; i++)
        {
            var delay = _random.Next(Faults.MinDelayTicks, Faults.MaxDelayTicks + 1);
            _inFlight.Enqueue(message, (Time + delay, _sequence++));
        }
    }

    private void ReportRoleChange(SimNode node, SoftState soft)
    {
        var before = _lastSoftState[node.Id];
        _lastSoftState[node.Id] = soft;
        if (soft.Role == before.Role) return;
        var term = node.Raft!.Term;
        switch (soft.Role)
        {
            case Role.Leader:
                Log($"{node.Id} elected leader of term {term}");
                break;
            case Role.Candidate:
                Log($"{node.Id} campaigns in term {term}");
                break;
            case Role.Follower when before.Role == Role.Leader:
                Log($"{node.Id} steps down (term {term})");
                break;
        }
    }

    private void ReportCommits()
    {
        var committed = Checker.HighestCommittedIndex;
        if (committed <= _reportedCommit || Time - _reportedCommitAt < CommitReportIntervalTicks) return;
        Log($"committed up to index {committed}");
        _reportedCommit = committed;
        _reportedCommitAt = Time;
    }

    private void Log(string text) => Events.Add($"t={Time:D5} {text}");
}
