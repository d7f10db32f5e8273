namespace RaftOrleans.Client;

/// <summary>
/// Which node to ask next: the last node that answered as leader, else the leader a node named in its
/// refusal, else the next node in turn. Thread-safe (the calls of one client may run concurrently).
/// <para>Every move to another node counts; after a whole round of moves without a success the caller
/// should pause (<see cref="Move"/> says so), so that a cluster without a leader, or two nodes naming each
/// other with stale hints, costs a backoff instead of a busy loop.</para>
/// </summary>
internal sealed class LeaderTracker
{
    private readonly object _gate = new();
    /// <summary>The nodes the channel reaches now: read at every move, since a channel that follows the
    /// cluster's membership gains nodes while clients run (a leader may be a node added since).</summary>
    private readonly Func<IReadOnlyList<string>> _nodes;
    private string _target;
    private int _movesSinceSuccess;

    public LeaderTracker(IReadOnlyList<string> nodes, int startIndex = 0) : this(() => nodes, startIndex)
    {
    }

    public LeaderTracker(Func<IReadOnlyList<string>> nodes, int startIndex = 0)
    {
        var now = nodes();
        if (now.Count == 0)
        {
            throw new ArgumentException("A cluster has at least one node.", nameof(nodes));
        }
        _nodes = nodes;
        _target = now[((startIndex % now.Count) + now.Count) % now.Count];
    }

    /// <summary>The node to ask now.</summary>
    public string Target
    {
        get
        {
            lock (_gate)
            {
                return _target;
            }
        }
    }

    /// <summary>The node that last answered as leader (null until one did, or after it failed).</summary>
    public string? KnownLeader { get; private set; }

    /// <summary><paramref name="node"/> answered as leader.</summary>
    public void Succeeded(string node)
    {
        lock (_gate)
        {
            KnownLeader = node;
            _target = node;
            _movesSinceSuccess = 0;
        }
    }

    /// <summary><paramref name="node"/> did not serve the call (not leader, unreachable, timed out, stopping).
    /// Moves to <paramref name="leaderHint"/> when it names another known node, else to the node after
    /// <paramref name="node"/>. Returns true when a whole round of moves passed without a success: pause first.</summary>
    public bool Move(string node, string? leaderHint)
    {
        var nodes = _nodes();
        lock (_gate)
        {
            if (KnownLeader == node)
            {
                KnownLeader = null;
            }
            if (_target == node)
            {
                _target = leaderHint is not null && leaderHint != node && nodes.Contains(leaderHint)
                    ? leaderHint
                    : nodes[(IndexOf(nodes, node) + 1) % nodes.Count];
            }
            // Another concurrent call already moved on from this node: keep its choice.
            _movesSinceSuccess++;
            if (_movesSinceSuccess < nodes.Count)
            {
                return false;
            }
            _movesSinceSuccess = 0;
            return true;
        }
    }

    private static int IndexOf(IReadOnlyList<string> nodes, string node)
    {
        for (var i = 0; i < nodes.Count; i++)
        {
            if (nodes[i] == node)
            {
                return i;
            }
        }
        return -1;
    }
}
