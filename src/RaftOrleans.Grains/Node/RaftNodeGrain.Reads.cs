using RaftOrleans.Contracts;
using RaftOrleans.Grains.Node;
using RaftOrleans.Raft;

namespace RaftOrleans.Grains.Node;

// Reads that bypass the log (dissertation §6.4). A linearizable read asks the core for a read index
// (RaftNode.ReadIndex): the leader's commit index, released only after a heartbeat round shows it
// still leads, so a deposed leader never answers; a follower gets it from the leader. Once this node
// has applied that index, its state machine holds every write acknowledged before the read began, and
// the read is answered from it. A stale read skips all that and answers from what is applied now.
public sealed partial class RaftNodeGrain
{
    private readonly Queue<PendingRead> _readsToRequest = new();
    private readonly Dictionary<long, PendingRead> _readsAwaitingIndex = new();
    private readonly PriorityQueue<PendingRead, long> _readsAwaitingApply = new();

    // Read ids travel to the leader and back. A random start keeps a late answer meant for a previous
    // activation of this node from matching a new read (and handing it an older read index).
    private long _nextReadId = Random.Shared.NextInt64(1, long.MaxValue / 2);

    public Task<ClientReply> Read(byte[] query, bool allowStale)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (Stopped) return Task.FromResult(new ClientReply(ClientReplyStatus.Unavailable, 0, 0, null, null));
        if (allowStale)
        {
            _readsStale++;
            return Task.FromResult(new ClientReply(ClientReplyStatus.Applied, _appliedIndex, AppliedTerm(), _stateMachine.Query(query), _core.Leader));
        }
        return ReadLinearizableAsync(query, lease: false);
    }

    public Task<ClientReply> ReadLeased(byte[] query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (Stopped) return Task.FromResult(new ClientReply(ClientReplyStatus.Unavailable, 0, 0, null, null));
        return ReadLinearizableAsync(query, lease: true);
    }

    private async Task<ClientReply> ReadLinearizableAsync(byte[] query, bool lease)
    {
        if (lease) _readsLease++;
        else _readsLinearizable++;
        var read = new PendingRead(_nextReadId++, query, lease);
        _readsToRequest.Enqueue(read);
        Kick();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(_settings.ReadTimeoutMs));
        // Fires on a pool thread: completing the source is thread safe; the await resumes on the grain.
        await using (deadline.Token.Register(() => read.Complete(ClientReplyStatus.Unknown, leaderHint: null)))
        {
            var reply = await read.Completion.Task;
            _readsAwaitingIndex.Remove(read.RequestId); // timed out before its index came: forget it
            return reply;
        }
    }

    /// <summary>Hands queued reads to the core (called by the loop, outside a Ready).</summary>
    private void RequestReadIndexes()
    {
        while (_readsToRequest.TryDequeue(out var read))
        {
            if (read.Completion.Task.IsCompleted) continue;
            if (_core.ReadIndex(read.RequestId, allowLease: read.Lease)) _readsAwaitingIndex[read.RequestId] = read;
            else read.Complete(ClientReplyStatus.NotLeader, leaderHint: _core.Leader);
        }
    }

    /// <summary>Takes the read indexes of a Ready; called after its committed entries are applied.</summary>
    private void OnReadStates(IReadOnlyList<ReadState> states)
    {
        foreach (var state in states)
        {
            // Unknown ids: reads that timed out, or answers meant for a previous activation.
            if (!_readsAwaitingIndex.Remove(state.RequestId, out var read)) continue;
            if (state.Failed)
            {
                // The leader (we, or the one we asked) lost its leadership before confirming it.
                read.Complete(ClientReplyStatus.NotLeader, leaderHint: _core.Leader == NodeId ? null : _core.Leader);
                continue;
            }
            read.Index = state.Index;
            _readsAwaitingApply.Enqueue(read, state.Index);
        }
        ServeAppliedReads();
    }

    /// <summary>Answers every read whose index this node has applied.</summary>
    private void ServeAppliedReads()
    {
        while (_readsAwaitingApply.TryPeek(out var read, out var index) && index <= _appliedIndex)
        {
            _readsAwaitingApply.Dequeue();
            if (read.Completion.Task.IsCompleted) continue;
            read.Complete(ClientReplyStatus.Applied, _appliedIndex, AppliedTerm(), _stateMachine.Query(read.Query), _core.Leader);
        }
    }

    private long AppliedTerm() => _appliedIndex == 0 ? 0 : _core.TermAt(_appliedIndex) ?? 0;

    private void FailReads(ClientReplyStatus status)
    {
        while (_readsToRequest.TryDequeue(out var queued)) queued.Complete(status);
        foreach (var waiting in _readsAwaitingIndex.Values) waiting.Complete(status);
        _readsAwaitingIndex.Clear();
        while (_readsAwaitingApply.TryDequeue(out var applying, out _)) applying.Complete(status);
    }
}
