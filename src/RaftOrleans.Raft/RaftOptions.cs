namespace RaftOrleans.Raft;

/// <summary>Configuration of one node. Every limit the core enforces is here, in units stated in its
/// name (ticks, entries, bytes).</summary>
public sealed record RaftOptions
{
    public required string NodeId { get; init; }

    /// <summary>The voters of the initial configuration, the same on every node. Empty for a node that
    /// joins a running cluster: it learns the configuration from the leader's log or snapshot.</summary>
    public required IReadOnlyList<string> Voters { get; init; }

    /// <summary>E: a follower that hears nothing for a random number of ticks in [E, 2E) campaigns.</summary>
    public int ElectionTicks { get; init; } = 10;

    /// <summary>A leader sends heartbeats every this many ticks; must be below <see cref="ElectionTicks"/>.</summary>
    public int HeartbeatTicks { get; init; } = 1;

    public int MaxEntriesPerAppend { get; init; } = 512;

    public int MaxBytesPerAppend { get; init; } = 1 << 20;

    /// <summary>Appends sent optimistically to one follower before an acknowledgement (pipelining).</summary>
    public int MaxInflightAppends { get; init; } = 64;

    /// <summary>Proposals are refused while the leader's uncommitted entries exceed this many bytes.</summary>
    public long MaxUncommittedBytes { get; init; } = 64L << 20;

    /// <summary>Committed entries handed out in one Ready, so a restart with a long log does not
    /// build one enormous batch.</summary>
    public int MaxCommittedEntriesPerReady { get; init; } = 4096;

    /// <summary>§9.6: campaign only after a majority says it would vote, so a node that was cut off
    /// does not raise terms and depose a healthy leader when it comes back.</summary>
    public bool PreVote { get; init; } = true;

    /// <summary>§6.2: a leader that has not heard from a quorum within an election timeout steps
    /// down, and followers that heard from a leader within that time ignore vote requests.</summary>
    public bool CheckQuorum { get; init; } = true;

    /// <summary>The host should take a snapshot once this many entries were applied since the last one.</summary>
    public long SnapshotThresholdEntries { get; init; } = 10_000;

    /// <summary>...or once this many bytes of entries were appended since the last one.</summary>
    public long SnapshotThresholdBytes { get; init; } = 64L << 20;

    /// <summary>Entries kept in the log behind a snapshot, so a follower slightly behind catches up
    /// from the log instead of receiving the whole snapshot.</summary>
    public int SnapshotTrailingEntries { get; init; } = 1000;

    public int MaxSnapshotChunkBytes { get; init; } = DefaultSnapshotChunkBytes;

    /// <summary>The default of <see cref="MaxSnapshotChunkBytes"/>, for stores that chunk snapshots the same way.</summary>
    public const int DefaultSnapshotChunkBytes = 512 * 1024;

    /// <summary>A learner is promoted to voter only when its log is within this many entries of the
    /// leader's, so the promotion does not stall commitment while it catches up (§4.2.1).</summary>
    public long PromotionLagEntries { get; init; } = 100;

    /// <summary>§6.4.1: serve reads from a lease instead of a heartbeat round. Needs check-quorum, and is
    /// safe only if clocks drift by less than <see cref="ClockDriftBoundTicks"/> per election timeout.</summary>
    public bool LeaseReads { get; init; }

    public int ClockDriftBoundTicks { get; init; } = 1;

    /// <summary>A monotonic clock to time leases on (any unit, e.g. Stopwatch timestamps); null: ticks. A host
    /// whose ticks can be dropped must give one: the lease must never count less time than really passed.
    /// The core only reads it; it decides nothing else.</summary>
    public Func<long>? LeaseClock { get; init; }

    /// <summary>With <see cref="LeaseClock"/>: how long a lease lasts, in its units: the followers' election
    /// timeout less the clock drift bound.</summary>
    public long LeaseClockDuration { get; init; }

    /// <summary>Whether a read a follower forwards to the leader may be served from the lease (true), or
    /// always gets a heartbeat round (a host that offers lease reads only on request).</summary>
    public bool LeaseForForwardedReads { get; init; } = true;

    /// <summary>The host follows the asynchronous contract (<see cref="RaftNode.AdvanceWhileWriting"/> and
    /// <see cref="RaftNode.WriteDurable"/>): a leader's appends leave while its own write is in flight, and
    /// the node keeps stepping while writes are under way. Off: the simple contract of <see cref="Ready"/>.</summary>
    public bool AsyncStorageWrites { get; init; }

    /// <summary>The index the state machine has already applied when the node starts (a snapshot's
    /// index, or 0 when the state machine starts empty).</summary>
    public long AppliedIndex { get; init; }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(NodeId)) throw new ArgumentException("NodeId is required");
        if (Voters.Distinct().Count() != Voters.Count) throw new ArgumentException("voters must be distinct");
        if (ElectionTicks < 2) throw new ArgumentException("ElectionTicks must be at least 2");
        if (HeartbeatTicks < 1 || HeartbeatTicks >= ElectionTicks)
            throw new ArgumentException("HeartbeatTicks must be in [1, ElectionTicks)");
        if (MaxEntriesPerAppend < 1) throw new ArgumentException("MaxEntriesPerAppend must be positive");
        if (MaxBytesPerAppend < 1) throw new ArgumentException("MaxBytesPerAppend must be positive");
        if (MaxInflightAppends < 1) throw new ArgumentException("MaxInflightAppends must be positive");
        if (MaxUncommittedBytes < 1) throw new ArgumentException("MaxUncommittedBytes must be positive");
        if (MaxCommittedEntriesPerReady < 1) throw new ArgumentException("MaxCommittedEntriesPerReady must be positive");
        if (SnapshotThresholdEntries < 1 || SnapshotThresholdBytes < 1) throw new ArgumentException("snapshot thresholds must be positive");
        if (SnapshotTrailingEntries < 0) throw new ArgumentException("SnapshotTrailingEntries must not be negative");
        if (MaxSnapshotChunkBytes < 1) throw new ArgumentException("MaxSnapshotChunkBytes must be positive");
        if (PromotionLagEntries < 0) throw new ArgumentException("PromotionLagEntries must not be negative");
        if (LeaseReads && !CheckQuorum) throw new ArgumentException("LeaseReads requires CheckQuorum");
        if (ClockDriftBoundTicks < 0 || ClockDriftBoundTicks >= ElectionTicks)
            throw new ArgumentException("ClockDriftBoundTicks must be in [0, ElectionTicks)");
        if (LeaseClock is not null && LeaseClockDuration < 1)
            throw new ArgumentException("LeaseClockDuration must be positive when a LeaseClock is given");
        if (AppliedIndex < 0) throw new ArgumentException("AppliedIndex must not be negative");
    }
}
