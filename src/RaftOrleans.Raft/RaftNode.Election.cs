using RaftOrleans.Raft.Messages;
using RaftOrleans.Raft.Tracker;

namespace RaftOrleans.Raft;

// Elections: terms (§5.1), RequestVote and the election restriction (§5.2, §5.4.1), pre-vote (§9.6),
// check-quorum and leader leases against disruptive servers (§6.2, §4.2.3).
public sealed partial class RaftNode
{
    /// <summary>Starts an election now, as if the election timeout had fired (used by leadership
    /// transfer and by tests).</summary>
    public void Campaign()
    {
        EnsureNoReadyInFlight(nameof(Campaign));
        if (Role == Role.Leader || !IsVoter) return;
        StartElection(transfer: false);
    }

    private void TickElection()
    {
        _electionElapsedTicks++;
        if (IsVoter && _electionElapsedTicks >= _randomizedElectionTimeoutTicks)
            StartElection(transfer: false);
    }

    private void StartElection(bool transfer)
    {
        // A transfer target was chosen by the leader, so it skips the pre-vote: voters will honour it.
        if (_options.PreVote && !transfer) BecomePreCandidate();
        else BecomeCandidate(transfer);
    }

    /// <summary>
    /// The term rules every message obeys (Figure 2, "Rules for all servers"), with the §9.6 and §6.2
    /// exceptions. Returns false when the message must go no further.
    /// </summary>
    private bool IsKnownTermHandled(RaftMessage message)
    {
        if (message.Term > Term)
        {
            if (message is RequestVote vote)
            {
                // §4.2.3/§6.2: a server that heard from a leader within the minimum election timeout
                // ignores vote requests, so a removed or partitioned server cannot depose a live leader.
                // A server that started less than an election timeout ago may have heard from one just
                // before it went down, and a leader's lease (§6.4.1) counts on that promise: it waits too.
                var heardFromLeader = Leader is not null && _electionElapsedTicks < _options.ElectionTicks;
                var justStarted = _ticks < _options.ElectionTicks;
                var inLease = _options.CheckQuorum && (heardFromLeader || justStarted);
                if (inLease && !vote.Transfer) return false;
                if (vote.PreVote) return true; // a pre-vote changes nothing, not even our term
            }
            if (message is RequestVoteResponse { PreVote: true, Granted: true })
                return true; // granted pre-votes carry the term we would campaign in, not a newer one
            BecomeFollower(message.Term, message is AppendEntries or InstallSnapshot ? message.From : null);
            return true;
        }
        if (message.Term < Term)
        {
            if ((_options.CheckQuorum || _options.PreVote) && message is AppendEntries or InstallSnapshot)
            {
                // A stale leader, or one that kept the old term while we raised ours in a partition.
                // Without this answer, pre-vote and check-quorum could leave us unable to rejoin: our
                // higher term makes the stale leader step down and a fresh election include us.
                Send(new AppendEntriesResponse(Id, message.From, Term, false, 0, 0, 0, 0));
            }
            else if (message is RequestVote { PreVote: true })
            {
                Send(new RequestVoteResponse(Id, message.From, Term, PreVote: true, Granted: false));
            }
            return false;
        }
        return true;
    }

    private void HandleRequestVote(RequestVote request)
    {
        // We vote for at most one candidate per term (§5.2); a pre-vote for a later term promises nothing.
        var canVote = VotedFor == request.From
                      || (VotedFor is null && Leader is null)
                      || (request.PreVote && request.Term > Term);
        var granted = canVote && _log.IsUpToDate(request.LastLogIndex, request.LastLogTerm);
        if (granted && !request.PreVote)
        {
            VotedFor = request.From;
            _electionElapsedTicks = 0;
        }
        Send(new RequestVoteResponse(Id, request.From, granted ? request.Term : Term, request.PreVote, granted));
    }

    private void HandleRequestVoteResponse(RequestVoteResponse response)
    {
        var counting = (Role == Role.PreCandidate && response.PreVote) || (Role == Role.Candidate && !response.PreVote);
        if (!counting) return;
        _votes.TryAdd(response.From, response.Granted);
        var granted = _votes.Count(v => v.Value && Config.IsVoter(v.Key));
        var rejected = _votes.Count(v => !v.Value && Config.IsVoter(v.Key));
        if (granted >= Config.Quorum)
        {
            if (Role == Role.PreCandidate) BecomeCandidate(transfer: false);
            else BecomeLeader();
        }
        else if (rejected >= Config.Quorum)
        {
            BecomeFollower(Term, leader: null);
        }
    }

    private void HandleTimeoutNow(TimeoutNow message)
    {
        if (Role == Role.Leader || !IsVoter) return;
        StartElection(transfer: true);
    }

    private void BecomeFollower(long term, string? leader)
    {
        if (term < Term) throw new InvalidOperationException($"{Id}: term going back from {Term} to {term}");
        if (term > Term)
        {
            Term = term;
            VotedFor = null;
        }
        if (Role == Role.Leader) FailPendingReads();
        Role = Role.Follower;
        Leader = leader;
        _progress.Clear();
        _votes.Clear();
        _appendsPending = false;
        _transferTarget = null;
        ResetElectionTimer();
    }

    private void BecomePreCandidate()
    {
        if (Role == Role.Leader) throw new InvalidOperationException($"{Id}: a leader cannot become a pre-candidate");
        // The term and vote stay as they are: losing a pre-vote must leave no trace (§9.6).
        Role = Role.PreCandidate;
        Leader = null;
        _votes.Clear();
        ResetElectionTimer();
        RequestVotes(Term + 1, preVote: true, transfer: false);
    }

    private void BecomeCandidate(bool transfer)
    {
        if (Role == Role.Leader) throw new InvalidOperationException($"{Id}: a leader cannot become a candidate");
        Term++;
        VotedFor = Id;
        Role = Role.Candidate;
        Leader = null;
        _votes.Clear();
        ResetElectionTimer();
        RequestVotes(Term, preVote: false, transfer);
    }

    private void RequestVotes(long term, bool preVote, bool transfer)
    {
        _votes[Id] = true;
        if (Config.Quorum == 1)
        {
            if (preVote) BecomeCandidate(transfer);
            else BecomeLeader();
            return;
        }
        foreach (var voter in Config.Voters)
        {
            if (voter == Id) continue;
            Send(new RequestVote(Id, voter, term, _log.LastIndex, _log.LastTerm, preVote, transfer));
        }
    }

    private void BecomeLeader()
    {
        if (Role != Role.Candidate) throw new InvalidOperationException($"{Id}: only a candidate can become leader, not a {Role}");
        Role = Role.Leader;
        Leader = Id;
        _votes.Clear();
        _progress.Clear();
        SyncProgressWithConfig();
        _electionElapsedTicks = 0;
        _heartbeatElapsedTicks = 0;
        _uncommittedBytes = 0;
        _leaseRevokedByTransfer = false;
        // §5.4.2 / Figure 8: entries of earlier terms are committed only indirectly, by committing an
        // entry of the leader's own term; the no-op makes that happen without waiting for a client.
        AppendAsLeader(new LogEntry(_log.LastIndex + 1, Term, EntryKind.NoOp, Array.Empty<byte>()));
    }

    /// <summary>§6.2: once per election timeout a leader checks it heard from a quorum; if not, it may
    /// be cut off from the majority, and it steps down rather than serve as a stale leader.</summary>
    private bool HasActiveQuorum()
    {
        var active = (IsVoter ? 1 : 0) + _progress.Count(p => Config.IsVoter(p.Key) && p.Value.RecentActive);
        foreach (var progress in _progress.Values) progress.RecentActive = false;
        return active >= Config.Quorum;
    }
}
