using System.Diagnostics;
using RaftOrleans.Grains.Node;
using RaftOrleans.Raft;

namespace RaftOrleans.Grains.Node;

// A write that reaches a node which knows no live leader (an election is running, or the leader has gone
// quiet) is held for a while instead of refused at once. Refused, the client could only poll: the node
// would name the dead leader or nobody, and the client would back off and come back, typically well after
// the new leader is in place (that wait was most of the gap after a leader's kill). Held, it is answered
// the moment a leader is known: proposed here if this node won, else refused with the new leader's name,
// so the client's next attempt goes straight to it. The hold is bounded, so a node cut off from every
// leader still answers NotLeader in good time. Holding changes nothing the core sees: the proposal is
// offered to the core again, as new, once released.
public sealed partial class RaftNodeGrain
{
    /// <summary>A follower counts its leader as live while its last AppendEntries (heartbeats included) is
    /// at most this many heartbeat intervals old.</summary>
    private const int LiveLeaderHeartbeats = 2;

    /// <summary>How long a write may be held for a leader: two of the longest election timeouts (one
    /// split vote), and never more than half the propose timeout, so that it is refused, not timed out.</summary>
    private long HoldForLeaderLimitTicks =>
        Math.Min(_settings.ProposeTimeoutMs / 2, 4L * _settings.ElectionTicks * _settings.TickIntervalMs) * Stopwatch.Frequency / 1000;

    /// <summary>This node leads, or has heard from its leader within <see cref="LiveLeaderHeartbeats"/> heartbeats.</summary>
    private bool KnowsLiveLeader()
    {
        if (_core.Role == Role.Leader) return true;
        if (_core.Leader is null || _core.Leader == NodeId || _lastLeaderContactTimestamp == 0) return false;
        var liveWindowMs = (double)LiveLeaderHeartbeats * _settings.HeartbeatTicks * _settings.TickIntervalMs;
        return Stopwatch.GetElapsedTime(_lastLeaderContactTimestamp).TotalMilliseconds <= liveWindowMs;
    }

    private bool HeldTooLong(PendingProposal proposal, long now) => now - proposal.ArrivedAt >= HoldForLeaderLimitTicks;

    /// <summary>The core refused <paramref name="proposal"/> (not the leader): hold it rather than refuse it?</summary>
    private bool MayHoldForLeader(PendingProposal proposal) =>
        !KnowsLiveLeader() && !HeldTooLong(proposal, Stopwatch.GetTimestamp());

    /// <summary>The held proposals to offer to the core again, oldest first: all of them once a live leader is
    /// known, else those held too long (they are refused then).</summary>
    private IReadOnlyList<PendingProposal> TakeProposalsNoLongerAwaitingLeader()
    {
        if (_proposalsAwaitingLeader.Count == 0) return [];
        List<PendingProposal> released;
        if (KnowsLiveLeader())
        {
            released = new List<PendingProposal>(_proposalsAwaitingLeader);
            _proposalsAwaitingLeader.Clear();
            return released;
        }
        var now = Stopwatch.GetTimestamp();
        if (!HeldTooLong(_proposalsAwaitingLeader[0], now)) return []; // the oldest is first
        released = _proposalsAwaitingLeader.FindAll(held => HeldTooLong(held, now));
        _proposalsAwaitingLeader.RemoveAll(held => HeldTooLong(held, now));
        return released;
    }
}
