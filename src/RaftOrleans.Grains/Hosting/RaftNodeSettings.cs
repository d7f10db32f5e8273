using RaftOrleans.Contracts;
using RaftOrleans.Raft;

namespace RaftOrleans.Grains.Hosting;

/// <summary>What one silo needs to host its Raft node; the silo binds the "raft" section of its configuration
/// to it (every public settable property but <see cref="NodeId"/>, <see cref="Voters"/>, <see cref="Storage"/>
/// and <see cref="LogSegmentEntries"/> is a key: raft.electionTicks, raft.preVote, ...). Time is counted in
/// ticks of <see cref="TickIntervalMs"/> so the core stays clock free.
///
/// Each default lives in one place: what the core decides (elections, heartbeats, pre-vote, check-quorum,
/// lease reads, snapshots) is held in a <see cref="RaftOptions"/> and defaults to the core's own values,
/// except where <see cref="HostDefaults"/> says otherwise; the grain's own settings default here.</summary>
public sealed record RaftNodeSettings
{
    /// <summary>Where this host departs from the core's defaults, and why: the core counts abstract ticks
    /// (10 and 1), a silo ticks every <see cref="TickIntervalMs"/> (10 ms), so an election timeout of 150-300 ms
    /// and a heartbeat every 50 ms; lease reads are on because the grain serves them only when a read asks
    /// for one (ReadLeased), and they need check-quorum, which is on in the core.</summary>
    private static readonly RaftOptions HostDefaults = new()
    {
        NodeId = "-",
        Voters = [],
        ElectionTicks = 15,
        HeartbeatTicks = 5,
        LeaseReads = true,
    };

    private readonly RaftOptions _core = HostDefaults;

    /// <summary>The node this silo hosts; also the silo's name, which is what pins the node here.</summary>
    public required string NodeId { get; init; }

    /// <summary>Every voter of the initial configuration, this node included; empty for a node that joins a
    /// running cluster (it never campaigns, and learns the configuration from the leader's log or snapshot
    /// once the leader adds it as a learner). Later changes live in the log, so a restart keeps them.</summary>
    public required IReadOnlyList<string> Voters { get; init; }

    public int TickIntervalMs { get; init; } = 10;

    /// <summary>E: a follower campaigns after a random [E, 2E) ticks without a leader.</summary>
    public int ElectionTicks { get => _core.ElectionTicks; init => _core = _core with { ElectionTicks = value }; }

    public int HeartbeatTicks { get => _core.HeartbeatTicks; init => _core = _core with { HeartbeatTicks = value }; }

    /// <inheritdoc cref="RaftOptions.PreVote"/>
    public bool PreVote { get => _core.PreVote; init => _core = _core with { PreVote = value }; }

    /// <inheritdoc cref="RaftOptions.CheckQuorum"/>
    public bool CheckQuorum { get => _core.CheckQuorum; init => _core = _core with { CheckQuorum = value }; }

    /// <summary>Whether a read that asks for a lease (ReadLeased, `raftctl get --lease`) may be served from one;
    /// off, it gets a heartbeat round like any other read. Needs <see cref="CheckQuorum"/>.</summary>
    public bool LeaseReads { get => _core.LeaseReads; init => _core = _core with { LeaseReads = value }; }

    /// <summary>How much faster a follower's clock may run than the leader's over one election timeout. A lease
    /// read (ReadLeased) is served for an election timeout less this bound after a heartbeat round that a
    /// majority acknowledged; null: a quarter of the election timeout.</summary>
    public int? LeaseClockDriftBoundMs { get; init; }

    internal TimeSpan LeaseDuration =>
        TimeSpan.FromMilliseconds(ElectionTicks * TickIntervalMs - (LeaseClockDriftBoundMs ?? ElectionTicks * TickIntervalMs / 4));

    public required RaftStorageSettings Storage { get; init; }

    /// <summary>How long a proposal may wait for its entry to be applied before the grain answers
    /// <c>Unknown</c> (the entry may still commit later: the caller must treat it as maybe applied).</summary>
    public int ProposeTimeoutMs { get; init; } = 3000;

    /// <summary>Proposals this node holds at most (waiting for the loop, or for their entry to apply); a
    /// proposal beyond the bound is answered Busy at once and never reaches the log, so a client that floods
    /// the node gets refusals to back off on instead of a node that stops answering everyone. Far above what
    /// closed-loop clients keep in flight (one each).</summary>
    public int MaxPendingProposals { get; init; } = 4096;

    /// <summary>How long a linearizable read may wait for its read index and for this node to apply it
    /// before the grain answers <c>Unknown</c>; below Read's 5 s response timeout, so callers get an
    /// answer rather than a timeout exception.</summary>
    public int ReadTimeoutMs { get; init; } = 3000;

    /// <summary>Log entries per sealed segment row. An append rewrites at most the open tail (fewer than
    /// this many entries) plus the new entries, whatever the length of the log.</summary>
    public int LogSegmentEntries { get; init; } = 32;

    /// <summary>Take a snapshot of the state machine once this many entries were applied since the last
    /// one; the log before it is then deleted from storage (keeping <see cref="SnapshotTrailingEntries"/>
    /// in memory) and a restart replays only what follows it.</summary>
    public long SnapshotThresholdEntries { get => _core.SnapshotThresholdEntries; init => _core = _core with { SnapshotThresholdEntries = value }; }

    /// <summary>...or once this many bytes of entries were appended since the last one.</summary>
    public long SnapshotThresholdBytes { get => _core.SnapshotThresholdBytes; init => _core = _core with { SnapshotThresholdBytes = value }; }

    /// <summary>Entries a snapshot leaves in the node's in-memory log, so that a follower slightly behind
    /// catches up from the log instead of receiving the whole snapshot.</summary>
    public int SnapshotTrailingEntries { get => _core.SnapshotTrailingEntries; init => _core = _core with { SnapshotTrailingEntries = value }; }

    /// <summary>A snapshot travels to a follower (InstallSnapshot) and is stored in chunks of at most
    /// this many bytes, so no single message or row grows with the state machine.</summary>
    public int SnapshotChunkBytes { get => _core.MaxSnapshotChunkBytes; init => _core = _core with { MaxSnapshotChunkBytes = value }; }

    /// <summary>Bounds <see cref="SnapshotChunkBytes"/>: far below Orleans' message size limit.</summary>
    public const int MaxSnapshotChunkBytes = 16 << 20;

    /// <summary>Timeout of one delivery to a peer: the minimum election timeout. Deliveries only enqueue
    /// at the receiver, so a call that takes longer means the peer is unreachable, frozen or starved;
    /// the batch is dropped and the pump moves on to newer messages.</summary>
    internal TimeSpan PeerCallTimeout => TimeSpan.FromMilliseconds(Math.Max(20, ElectionTicks * TickIntervalMs));

    /// <summary>The core's options as these settings give them, for this node; the grain adds what only it knows.</summary>
    internal RaftOptions CoreOptions => _core with { NodeId = NodeId, Voters = Voters };

    /// <summary>Throws <see cref="RaftSettingsException"/> naming the first setting that cannot be used.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(NodeId)) throw new RaftSettingsException(nameof(NodeId), "is required");
        if (Voters is null) throw new RaftSettingsException(nameof(Voters), "is required (empty for a node that joins a running cluster)");
        if (Voters.Count > 0 && !Voters.Contains(NodeId, StringComparer.Ordinal))
            throw new RaftSettingsException(nameof(Voters), $"({string.Join(",", Voters)}) must include the node itself ({NodeId})");
        if (TickIntervalMs < 1) throw new RaftSettingsException(nameof(TickIntervalMs), $"'{TickIntervalMs}' must be at least 1");
        if (ElectionTicks < 2) throw new RaftSettingsException(nameof(ElectionTicks), $"'{ElectionTicks}' must be at least 2");
        if (HeartbeatTicks < 1 || HeartbeatTicks >= ElectionTicks)
            throw new RaftSettingsException(nameof(HeartbeatTicks),
                $"'{HeartbeatTicks}' must be in [1, electionTicks={ElectionTicks}): followers would time out between heartbeats");
        if (LeaseReads && !CheckQuorum)
            throw new RaftSettingsException(nameof(LeaseReads), "needs checkQuorum: a leader cut off from a majority would keep serving leased reads");
        if (LeaseClockDriftBoundMs is { } drift && (drift < 0 || drift >= ElectionTicks * TickIntervalMs))
            throw new RaftSettingsException(nameof(LeaseClockDriftBoundMs),
                $"'{drift}' must be in [0, the election timeout {ElectionTicks * TickIntervalMs} ms): no lease would remain");
        if (ProposeTimeoutMs < 1) throw new RaftSettingsException(nameof(ProposeTimeoutMs), $"'{ProposeTimeoutMs}' must be positive");
        if (MaxPendingProposals < 1) throw new RaftSettingsException(nameof(MaxPendingProposals), $"'{MaxPendingProposals}' must be positive");
        if (ReadTimeoutMs is < 1 or > 4500)
            throw new RaftSettingsException(nameof(ReadTimeoutMs), $"'{ReadTimeoutMs}' must be in [1, 4500]: below Read's 5 s response timeout");
        if (LogSegmentEntries < 2) throw new RaftSettingsException(nameof(LogSegmentEntries), $"'{LogSegmentEntries}' must be at least 2");
        if (SnapshotThresholdEntries < 1)
            throw new RaftSettingsException(nameof(SnapshotThresholdEntries), $"'{SnapshotThresholdEntries}' must be positive");
        if (SnapshotThresholdBytes < 1)
            throw new RaftSettingsException(nameof(SnapshotThresholdBytes), $"'{SnapshotThresholdBytes}' must be positive");
        if (SnapshotTrailingEntries < 0)
            throw new RaftSettingsException(nameof(SnapshotTrailingEntries), $"'{SnapshotTrailingEntries}' must not be negative");
        if (SnapshotChunkBytes is < 1 or > MaxSnapshotChunkBytes)
            throw new RaftSettingsException(nameof(SnapshotChunkBytes),
                $"'{SnapshotChunkBytes}' must be in [1, {MaxSnapshotChunkBytes}]: one chunk is one message between silos and one database row");
        if (Storage is null) throw new RaftSettingsException(nameof(Storage), "is required");
        Storage.Validate();
    }
}

/// <summary>A <see cref="RaftNodeSettings"/> value that cannot be used; <see cref="Setting"/> names the property,
/// so a host can say which key of its configuration gave it.</summary>
public sealed class RaftSettingsException(string setting, string problem)
    : ArgumentException($"RaftNodeSettings.{setting} {problem}")
{
    public string Setting { get; } = setting;

    /// <summary>The message without the property's name.</summary>
    public string Problem { get; } = problem;
}

/// <summary>Where a node keeps its term, vote and log: one database per node (SQLite file) or a
/// shared PostgreSQL database (rows are keyed by node).</summary>
public sealed record RaftStorageSettings
{
    public required DatabaseKind Kind { get; init; }

    public required string ConnectionString { get; init; }

    internal void Validate()
    {
        if (!Enum.IsDefined(Kind))
            throw new ArgumentException($"RaftStorageSettings.Kind is {(int)Kind}, not a DatabaseKind; expected {string.Join(" or ", DatabaseKinds.Names)}");
        if (string.IsNullOrWhiteSpace(ConnectionString))
            throw new ArgumentException($"RaftStorageSettings.ConnectionString is empty (kind {Kind})");
    }

    /// <summary>The ADO.NET invariant Orleans' provider loads. SQLite goes through
    /// <c>System.Data.SQLite</c>, which Orleans backs with Microsoft.Data.Sqlite (the invariant
    /// <c>Microsoft.Data.SQLite</c> fails at silo start).</summary>
    internal string AdoInvariant => Kind == DatabaseKind.Sqlite ? "System.Data.SQLite" : "Npgsql";
}
