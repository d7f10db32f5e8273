using RaftOrleans.Raft.Messages;

namespace RaftOrleans.Raft;

// Leadership transfer (dissertation §3.10).
public sealed partial class RaftNode
{
    private string? _transferTarget;
    private int _transferElapsedTicks;

    /// <summary>
    /// Hands leadership to <paramref name="target"/>: the leader stops taking proposals, brings the
    /// target's log up to date, then sends it TimeoutNow so it campaigns at once. If no election
    /// happens within an election timeout, the transfer is abandoned and proposals resume.
    /// Returns null when the transfer started, else why it did not.
    /// </summary>
    public string? TransferLeadership(string target)
    {
        EnsureNoReadyInFlight(nameof(TransferLeadership));
        if (Role != Role.Leader) return $"{Id} is not the leader" + (Leader is null ? "" : $" ({Leader} is)");
        if (target == Id) return $"{Id} is already the leader";
        if (!Config.IsVoter(target)) return $"{target} is not a voter";
        if (_transferTarget == target) return null;
        _transferTarget = target;
        _transferElapsedTicks = 0;
        // The target's campaign is honoured by voters still inside our lease, so the lease is void from
        // here on, for the rest of this term: even after the transfer is abandoned, a delayed TimeoutNow
        // can still start that campaign.
        _leaseRevokedByTransfer = true;
        _leaseStartTick = -1;
        if (!MaybeSendTimeoutNow(target)) SendAppends(target);
        return null;
    }

    /// <summary>Sends TimeoutNow once the transfer target holds our whole log.</summary>
    private bool MaybeSendTimeoutNow(string peer)
    {
        if (_transferTarget != peer || _progress[peer].Match != _log.LastIndex) return false;
        Send(new TimeoutNow(Id, peer, Term));
        return true;
    }

    private void TickTransfer()
    {
        if (_transferTarget is null) return;
        if (++_transferElapsedTicks >= _options.ElectionTicks) _transferTarget = null;
    }
}
