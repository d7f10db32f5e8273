namespace RaftOrleans.Raft.Tracker;

/// <summary>How a leader is currently replicating to one follower.</summary>
internal enum ReplicationState
{
    /// <summary>The leader does not know where the follower's log matches: one append at a time,
    /// backing up on each rejection (Figure 2's "decrement nextIndex and retry").</summary>
    Probe,
    /// <summary>The logs match up to <see cref="Progress.Match"/>: appends stream optimistically,
    /// up to the in-flight limit, without waiting for each acknowledgement (pipelining).</summary>
    Replicate,
    /// <summary>The entries the follower needs were compacted: it is being sent a snapshot, one chunk at
    /// a time, and gets no appends until it is installed.</summary>
    Snapshot,
}

/// <summary>The leader's knowledge of one follower: Figure 2's nextIndex and matchIndex, plus the
/// flow control that keeps a slow follower from being flooded.</summary>
internal sealed class Progress
{
    private readonly Queue<long> _inflightLastIndexes = new();
    private readonly int _maxInflight;

    public Progress(long next, int maxInflight)
    {
        Next = next;
        _maxInflight = maxInflight;
    }

    /// <summary>Highest index known to be replicated on the follower.</summary>
    public long Match { get; private set; }

    /// <summary>Index of the next entry to send.</summary>
    public long Next { get; private set; }

    public ReplicationState State { get; private set; } = ReplicationState.Probe;

    /// <summary>In Probe state: an append is outstanding, wait for its answer or the next heartbeat.</summary>
    public bool ProbeSent { get; set; }

    /// <summary>Heard from since the leader last checked its quorum (§6.2).</summary>
    public bool RecentActive { get; set; }

    /// <summary>Heartbeat rounds since Match last moved or since appends became outstanding, whichever
    /// is later.</summary>
    public int StalledHeartbeats { get; set; }

    public int Inflight => _inflightLastIndexes.Count;

    /// <summary>The highest read context (heartbeat round, §6.4) the follower acknowledged.</summary>
    public long AckedReadContext { get; set; }

    /// <summary>In Snapshot state: the index of the snapshot being sent and the offset the follower has
    /// acknowledged so far.</summary>
    public long SnapshotIndex { get; private set; }

    public long SnapshotOffset { get; set; }

    /// <summary>True when the leader may not send more entries now.</summary>
    public bool IsPaused => State switch
    {
        ReplicationState.Probe => ProbeSent,
        ReplicationState.Snapshot => true,
        _ => _inflightLastIndexes.Count >= _maxInflight,
    };

    public void BecomeSnapshot(long snapshotIndex)
    {
        State = ReplicationState.Snapshot;
        SnapshotIndex = snapshotIndex;
        SnapshotOffset = 0;
        ProbeSent = false;
        StalledHeartbeats = 0;
        _inflightLastIndexes.Clear();
    }

    /// <summary>The follower installed a snapshot: its log now matches ours up to the snapshot's index.</summary>
    public void SnapshotInstalled(long snapshotIndex)
    {
        Match = Math.Max(Match, snapshotIndex);
        BecomeProbe();
    }

    public void BecomeProbe()
    {
        State = ReplicationState.Probe;
        Next = Match + 1;
        ProbeSent = false;
        _inflightLastIndexes.Clear();
    }

    public void BecomeReplicate()
    {
        State = ReplicationState.Replicate;
        Next = Match + 1;
        ProbeSent = false;
        _inflightLastIndexes.Clear();
    }

    /// <summary>Record that entries up to <paramref name="lastIndex"/> were sent.</summary>
    public void SentEntries(long lastIndex, int count)
    {
        if (count == 0) return;
        if (State == ReplicationState.Replicate)
        {
            // The stall clock starts when something is outstanding: heartbeats that passed while the
            // pipeline was empty (e.g. before a fresh proposal was sent) say nothing about a lost append.
            if (_inflightLastIndexes.Count == 0) StalledHeartbeats = 0;
            Next = lastIndex + 1;
            _inflightLastIndexes.Enqueue(lastIndex);
        }
        else
        {
            ProbeSent = true;
        }
    }

    /// <summary>A successful acknowledgement up to <paramref name="match"/>. Returns false when it tells
    /// nothing new (a duplicate or reordered answer).</summary>
    public bool MaybeUpdate(long match)
    {
        var updated = false;
        if (match > Match)
        {
            Match = match;
            updated = true;
            ProbeSent = false;
            StalledHeartbeats = 0;
        }
        Next = Math.Max(Next, match + 1);
        while (_inflightLastIndexes.Count > 0 && _inflightLastIndexes.Peek() <= match) _inflightLastIndexes.Dequeue();
        return updated;
    }

    /// <summary>
    /// A rejection of the append at <paramref name="rejected"/>. Returns false for a stale rejection
    /// (one that answers an append we have already moved past). Otherwise moves Next back to
    /// <paramref name="hintNext"/> (never below Match + 1) and returns to probing.
    /// </summary>
    public bool MaybeDecrease(long rejected, long hintNext)
    {
        if (State == ReplicationState.Snapshot) return false;
        if (State == ReplicationState.Replicate)
        {
            if (rejected <= Match) return false;
        }
        else if (rejected != Next - 1)
        {
            return false;
        }
        BecomeProbe();
        Next = Math.Max(Match + 1, Math.Min(hintNext, rejected));
        if (Next < 1) Next = 1;
        return true;
    }

    public override string ToString() => $"match={Match} next={Next} {State} inflight={Inflight}";
}
