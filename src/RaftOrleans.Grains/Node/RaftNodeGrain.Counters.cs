using RaftOrleans.Contracts;
using RaftOrleans.Raft;

namespace RaftOrleans.Grains.Node;

// Counts for the node's status (NodeStatus.Counters), which the node observer puts on the "RaftOrleans"
// meter: proposals by outcome, reads by kind, elections started. Plain fields: everything that counts
// runs on the grain's scheduler.
public sealed partial class RaftNodeGrain
{
    private long _electionsStarted;
    private long _lastCandidateTerm;

    /// <summary>Called by the loop after each Ready: a new term as candidate is one more election started.</summary>
    private void NoteElectionStarted()
    {
        if (_core.Role != Role.Candidate || _core.Term == _lastCandidateTerm) return;
        _lastCandidateTerm = _core.Term;
        _electionsStarted++;
    }

    private NodeCounters CountersNow(RaftStatus status) => new()
    {
        ProposalsAccepted = _proposalsAccepted,
        ProposalsRefused = _proposalsRefused,
        ProposalsTimedOut = _proposalsTimedOut,
        ReadsLinearizable = _readsLinearizable,
        ReadsLease = _readsLease,
        ReadsStale = _readsStale,
        ElectionsStarted = _electionsStarted,
        InboxDepth = _inbox.Count,
        FollowerMatch = status.Followers.ToDictionary(follower => follower.Key, follower => follower.Value.MatchIndex, StringComparer.Ordinal),
    };
}
