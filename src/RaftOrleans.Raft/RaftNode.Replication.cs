using RaftOrleans.Raft.Messages;
using RaftOrleans.Raft.Tracker;

namespace RaftOrleans.Raft;

// Log replication: AppendEntries with the consistency check (§5.3), the commit rule (§5.3, §5.4.2,
// Figure 8), heartbeats, and the leader's flow control (probe, then pipelined replication).
public sealed partial class RaftNode
{
    /// <summary>A follower that acknowledged nothing for this many heartbeats while entries were
    /// outstanding is probed again: an append or its answer was probably lost.</summary>
    private const int StalledHeartbeatsBeforeProbe = 2;

    private void TickLeader()
    {
        _heartbeatElapsedTicks++;
        _electionElapsedTicks++;
        if (_electionElapsedTicks >= _options.ElectionTicks)
        {
            _electionElapsedTicks = 0;
            if (_options.CheckQuorum && !HasActiveQuorum())
            {
                BecomeFollower(Term, leader: null);
                return;
            }
        }
        TickTransfer();
        if (_heartbeatElapsedTicks >= _options.HeartbeatTicks)
        {
            _heartbeatElapsedTicks = 0;
            StartReadRound();
            foreach (var peer in _progress.Keys) SendHeartbeat(peer, countStall: true);
        }
    }

    private void AppendAsLeader(LogEntry entry)
    {
        _log.Append(entry);
        _uncommittedBytes += entry.SizeBytes;
        _bytesSinceSnapshot += entry.SizeBytes;
        _appendsPending = true;
        if (entry.Kind == EntryKind.ConfigChange) OnConfigEntryAppended(entry);
    }

    private void BroadcastAppends()
    {
        foreach (var peer in _progress.Keys) SendAppends(peer);
    }

    /// <summary>Sends the follower whatever it lacks, as far as flow control allows: one probe in
    /// Probe state, up to the in-flight limit in Replicate state.</summary>
    private void SendAppends(string peer)
    {
        var progress = _progress[peer];
        while (!progress.IsPaused && progress.Next <= _log.LastIndex)
        {
            SendAppend(peer, progress);
        }
    }

    private void SendAppend(string peer, Progress progress)
    {
        var prevIndex = progress.Next - 1;
        if (_log.TermAt(prevIndex) is not { } prevTerm)
        {
            // What the follower needs next was compacted away: only a snapshot can bring it up.
            StartSnapshotTransfer(peer, progress);
            return;
        }
        var entries = progress.Next <= _log.LastIndex
            ? _log.Slice(progress.Next, _options.MaxEntriesPerAppend, _options.MaxBytesPerAppend)
            : Array.Empty<LogEntry>();
        Send(new AppendEntries(Id, peer, Term, prevIndex, prevTerm, entries, _log.Committed, _readContext));
        if (entries.Count > 0) progress.SentEntries(entries[^1].Index, entries.Count);
        else if (progress.State == ReplicationState.Probe) progress.ProbeSent = true;
    }

    /// <summary>Sends a heartbeat. Only the periodic ones (<paramref name="countStall"/>) count towards
    /// deciding that a follower stalled; extra rounds for reads must not make that happen sooner.</summary>
    private void SendHeartbeat(string peer, bool countStall)
    {
        var progress = _progress[peer];
        if (progress.State == ReplicationState.Snapshot)
        {
            // A chunk or its answer may have been lost: resend from what the follower acknowledged.
            if (countStall && ++progress.StalledHeartbeats >= StalledHeartbeatsBeforeProbe) SendSnapshotChunk(peer, progress);
            return;
        }
        if (countStall && progress.State == ReplicationState.Replicate && progress.Match < _log.LastIndex
            && ++progress.StalledHeartbeats >= StalledHeartbeatsBeforeProbe)
        {
            progress.BecomeProbe();
        }
        if (progress.State == ReplicationState.Probe && countStall)
        {
            // The heartbeat doubles as a retry of a probe that may have been lost.
            progress.ProbeSent = false;
            SendAppend(peer, progress);
            return;
        }
        // The entries up to Match are known to agree, so this heartbeat passes the consistency check
        // and lets the follower commit up to min(commit, Match).
        // (If the entry at Match was compacted, the append path sends a snapshot instead.)
        if (_log.TermAt(progress.Match) is not { } matchTerm) return;
        Send(new AppendEntries(Id, peer, Term, progress.Match, matchTerm, Array.Empty<LogEntry>(), _log.Committed, _readContext));
    }

    /// <summary>A message from the leader of our term (rule 1, term &lt; currentTerm, was applied before we got
    /// here): a candidate accepts it and steps down (§5.2), and everyone restarts its election timeout. Two
    /// leaders in one term would break Election Safety, so meeting one is a bug, not a case to handle.</summary>
    private void AcceptLeader(string leader)
    {
        if (Role == Role.Leader)
            throw new InvalidOperationException($"{Id}: two leaders in term {Term} ({Id} and {leader})");
        if (Role != Role.Follower) BecomeFollower(Term, leader);
        Leader = leader;
        _electionElapsedTicks = 0;
    }

    /// <summary>Figure 2, AppendEntries receiver implementation.</summary>
    private void HandleAppendEntries(AppendEntries append)
    {
        AcceptLeader(append.From);

        if (append.PrevLogIndex < _log.Committed)
        {
            if (append.LastIndex <= _log.Committed)
            {
                // Everything up to our commit index is already known to match; answering with it lets a
                // leader whose appends were duplicated or reordered move on.
                Send(new AppendEntriesResponse(Id, append.From, Term, true, _log.Committed, 0, 0, 0, append.ReadContext));
                return;
            }
            // The message reaches past our commit index. Our committed entries are in every later leader's
            // log (Leader Completeness, §5.4), so they match the sender's: check and append only the part
            // after them. (Answering with our commit index alone would do only if the answer got back; a
            // follower whose answers are lost would never learn a newer commit index from a leader that
            // keeps probing from below it.)
            var committed = _log.Committed;
            append = append with
            {
                PrevLogIndex = committed,
                PrevLogTerm = _log.TermAt(committed) ?? throw new InvalidOperationException($"{Id}: no term for committed index {committed}"),
                Entries = append.Entries.Skip((int)(committed - append.PrevLogIndex)).ToArray(),
            };
        }
        var lastNew = _log.TryAppend(append.PrevLogIndex, append.PrevLogTerm, append.Entries);
        if (lastNew is { } matched)
        {
            OnEntriesReceived(append);
            // Rule 5: commit up to leaderCommit, but only as far as what this message proved matches.
            _log.CommitTo(Math.Min(append.LeaderCommit, matched));
            Send(new AppendEntriesResponse(Id, append.From, Term, true, matched, 0, 0, 0, append.ReadContext));
            return;
        }
        // Rule 2: the consistency check failed.
        var (conflictTerm, conflictIndex) = _log.ConflictHint(append.PrevLogIndex);
        Send(new AppendEntriesResponse(Id, append.From, Term, false, 0, append.PrevLogIndex, conflictTerm,
            conflictIndex, append.ReadContext));
    }

    private void HandleAppendEntriesResponse(AppendEntriesResponse response)
    {
        if (Role != Role.Leader) return; // an answer to an earlier leadership of ours
        if (!_progress.TryGetValue(response.From, out var progress)) return;
        progress.RecentActive = true;
        OnReadContextAcknowledged(progress, response.ReadContext);
        if (!response.Success)
        {
            if (progress.MaybeDecrease(response.RejectedIndex, NextIndexAfterRejection(response)))
                SendAppends(response.From);
            return;
        }
        var updated = progress.MaybeUpdate(response.MatchIndex);
        if (progress.State == ReplicationState.Snapshot && progress.Match >= progress.SnapshotIndex) progress.BecomeProbe();
        if (progress.State == ReplicationState.Probe) progress.BecomeReplicate();
        if (updated && MaybeCommit()) _appendsPending = true; // followers learn the new commit index
        if (Role != Role.Leader) return; // the commit removed this leader from the configuration
        SendAppends(response.From);
        if (updated) MaybeSendTimeoutNow(response.From);
    }

    /// <summary>Where to resume after a rejection, skipping a whole conflicting term at a time (§5.3):
    /// if we hold the follower's conflicting term, resume after our last entry of it; otherwise at
    /// the first index the follower holds of that term.</summary>
    private long NextIndexAfterRejection(AppendEntriesResponse response)
    {
        if (response.ConflictTerm > 0 && _log.LastIndexOfTerm(response.ConflictTerm) is { } ours) return ours + 1;
        return response.ConflictIndex;
    }

    /// <summary>§5.3/§5.4.2: commit the highest index stored on a majority of the voters, but only when
    /// its entry is from the current term; earlier entries commit with it (Figure 8 shows why counting
    /// replicas of an older term's entry is unsafe).</summary>
    private bool MaybeCommit()
    {
        // The leader counts itself only up to what it has made durable (§10.2.1: its write runs beside replication).
        var quorumIndex = QuorumReached(_log.StableIndex, progress => progress.Match);
        if (quorumIndex <= _log.Committed || _log.TermAt(quorumIndex) != Term) return false;
        var firstCommitInTerm = _log.TermAt(_log.Committed) != Term;
        ReleaseUncommittedBytes(_log.Committed, quorumIndex);
        _log.CommitTo(quorumIndex);
        if (firstCommitInTerm) OnFirstCommitInTerm();
        OnCommitAdvanced();
        return true;
    }

    /// <summary>The highest value that a quorum of the voters has reached: <paramref name="ownValue"/> for this
    /// node, <paramref name="peerValue"/> of each other voter's progress (0 for a voter we track no progress for).
    /// The one place the majority arithmetic lives: commitment (match indexes) and read rounds (acknowledged
    /// contexts) both ask it.</summary>
    private long QuorumReached(long ownValue, Func<Tracker.Progress, long> peerValue)
    {
        var voters = Config.Voters;
        if (voters.Count == 0) return 0;
        var reached = new long[voters.Count];
        for (var i = 0; i < voters.Count; i++)
        {
            reached[i] = voters[i] == Id ? ownValue
                : _progress.TryGetValue(voters[i], out var progress) ? peerValue(progress)
                : 0;
        }
        Array.Sort(reached);
        // Sorted ascending, the value at Count - Quorum is held by at least Quorum voters.
        return reached[voters.Count - Config.Quorum];
    }

    private void ReleaseUncommittedBytes(long fromExclusive, long toInclusive)
    {
        for (var index = Math.Max(fromExclusive + 1, _log.FirstIndex); index <= toInclusive; index++)
        {
            var entry = _log.EntryAt(index);
            if (entry.Term == Term) _uncommittedBytes -= entry.SizeBytes;
        }
        _uncommittedBytes = Math.Max(0, _uncommittedBytes);
    }
}
