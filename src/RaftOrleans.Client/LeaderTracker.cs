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
    private readonly IReadOnlyList<string> _nodes;
    private string _target;
    private int _movesSinceSuccess;

    public LeaderTracker(IReadOnlyList<string> nodes, int startIndex = 0)
    {
        if (nodes.Count == 0)
        {
            throw new ArgumentException("A cluster has at least one node.", nameof(nodes));
        }
        _nodes = nodes;
        _target = nodes[((startIndex % nodes.Count) + nodes.Count) % nodes.Count];
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
        lock (_gate)
        {
            if (KnownLeader == node)
            {
                KnownLeader = null;
            }
            if (_target == node)
            {
                _target = leaderHint is not null && leaderHint != node && _nodes.Contains(leaderHint)
                    ? leaderHint
                    : _nodes[(IndexOf(node) + 1) % _nodes.Count];
            }
            // Another concurrent call already moved on from this node: keep its choice.
            _movesSinceSuccess++;
            if (_movesSinceSuccess < _nodes.Count)
            {
                return false;
            }
            _movesSinceSuccess = 0;
            return true;
        }
    }

    private int IndexOf(string node)
    {
        for (var i = 0; i < _nodes.Count; i++)
        {
            if (_nodes[i] == node)
            {
                return i;
            }
        }
        return -1;
    }
}
