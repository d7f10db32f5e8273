using RaftOrleans.Contracts;

namespace RaftOrleans.Grains.Metrics;

/// <summary>
/// Counts what changed between successive readings of one node's status: the node's core has no event
/// stream, so leader changes and elections are seen the way an operator sees them, by comparing one
/// reading with the next. Readings come often (<see cref="NodeObserver.SampleInterval"/>) and a term or
/// leader lasts far longer, so little is missed; what a reading can miss is a term that began and ended
/// between two readings, which <see cref="Elections"/> still counts (it adds the term's whole rise).
/// Not thread safe: one observer feeds it.
/// </summary>
public sealed class NodeTransitions
{
    private NodeStatus? _previous;
    private string? _lastKnownLeader;

    /// <summary>Times the leader this node knows became a different node, its first leader included;
    /// losing the leader (none known for a while) is not a change, learning a new one is.</summary>
    public long LeaderChanges { get; private set; }

    /// <summary>Terms this node went through since the observer started: each term begins with an election.</summary>
    public long Elections { get; private set; }

    /// <summary>Times this node was seen becoming leader.</summary>
    public long ElectionsWon { get; private set; }

    public void Observe(NodeStatus current)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (current.Leader is { } leader && leader != _lastKnownLeader)
        {
            LeaderChanges++;
            _lastKnownLeader = leader;
        }

        if (_previous is not null && current.Term > _previous.Term)
        {
            Elections += current.Term - _previous.Term;
        }

        if (current.Role == NodeRole.Leader && _previous?.Role != NodeRole.Leader)
        {
            ElectionsWon++;
        }

        _previous = current;
    }
}
