using RaftOrleans.Raft;

namespace RaftOrleans.Simulation;

/// <summary>
/// Checks the Raft safety properties (Figure 3 of the paper, plus monotonic commit and apply) against
/// what the nodes do, incrementally, so it can run after every simulated step:
/// <list type="bullet">
/// <item>Election Safety: at most one leader per term.</item>
/// <item>Leader Append-Only: a leader never overwrites or deletes entries of its log.</item>
/// <item>Log Matching: two logs holding an entry with the same index and term hold the same entry and
/// agree on every earlier entry. Checked as it is proved: each (index, term) has one payload and one
/// predecessor term, for every entry any node persists.</item>
/// <item>Leader Completeness: a leader holds every entry committed before its term; hence no committed
/// entry is ever lost.</item>
/// <item>State Machine Safety: no two nodes apply different entries at the same index.</item>
/// <item>Commit indexes never go back (they are persisted); applied indexes never go back within an
/// incarnation and never pass the commit index.</item>
/// </list>
/// </summary>
public sealed class SafetyChecker
{
    private readonly Dictionary<long, string> _leaderByTerm = new();
    private readonly Dictionary<(long Index, long Term), (byte[] Data, long PrevTerm)> _entriesSeen = new();
    private readonly Dictionary<long, Committed> _committed = new();
    private readonly Dictionary<long, LogEntry> _applied = new();
    private readonly Dictionary<long, byte[]> _stateDigestAt = new();
    private readonly Dictionary<string, long> _commitIndexByNode = new();
    private readonly Dictionary<string, long> _durableCommitByNode = new();
    private readonly Dictionary<(string Node, int Incarnation), long> _appliedIndexByNode = new();
    private readonly Dictionary<(string Node, long Term), (long LastIndex, long LastTerm)> _leaderLogTip = new();
    private readonly Dictionary<(string Node, int Incarnation, long Term), long> _completenessVerifiedTo = new();
    private long _highestCommitted;

    /// <summary>The highest index known committed by any node.</summary>
    public long HighestCommittedIndex => _highestCommitted;

    public int LeadersSeen => _leaderByTerm.Count;

    /// <summary>Call after every step with each live node.</summary>
    public void Observe(NodeView node)
    {
        if (node.Role == Role.Leader) CheckLeader(node);
        CheckCommit(node);
    }

    /// <summary>Call with every batch of entries a node persists; <paramref name="prevTerm"/> is the term
    /// the node holds just before the first of them.</summary>
    public void OnEntriesPersisted(string node, long prevTerm, IReadOnlyList<LogEntry> entries)
    {
        foreach (var entry in entries)
        {
            var key = (entry.Index, entry.Term);
            if (_entriesSeen.TryGetValue(key, out var seen))
            {
                if (!seen.Data.AsSpan().SequenceEqual(entry.Data))
                    throw new SafetyViolationException("Log Matching",
                        $"{node} holds {entry} with a different payload than another node's entry {entry.Index}@{entry.Term}");
                if (seen.PrevTerm != prevTerm)
                    throw new SafetyViolationException("Log Matching",
                        $"{node} holds {entry} after an entry of term {prevTerm}; another node holds it after term {seen.PrevTerm}");
            }
            else
            {
                _entriesSeen[key] = (entry.Data, prevTerm);
            }
            prevTerm = entry.Term;
        }
    }

    /// <summary>Call with every entry a node applies, in order.</summary>
    public void OnApplied(string node, int incarnation, LogEntry entry)
    {
        var key = (node, incarnation);
        var last = _appliedIndexByNode.GetValueOrDefault(key);
        if (entry.Index != last + 1)
            throw new SafetyViolationException("Applied order", $"{node} applied {entry.Index} after {last}");
        _appliedIndexByNode[key] = entry.Index;
        if (_applied.TryGetValue(entry.Index, out var other))
        {
            if (other.Term != entry.Term || !other.Data.AsSpan().SequenceEqual(entry.Data))
                throw new SafetyViolationException("State Machine Safety",
                    $"{node} applied {entry} at index {entry.Index} where another node applied {other}");
        }
        else
        {
            _applied[entry.Index] = entry;
        }
    }

    /// <summary>Call with the state machine's digest after it applied <paramref name="index"/> (or was
    /// restored from a snapshot at that index): every replica must have the same state at the same index.</summary>
    public void OnStateDigest(string node, long index, byte[] digest)
    {
        if (_stateDigestAt.TryGetValue(index, out var other))
        {
            if (!other.AsSpan().SequenceEqual(digest))
                throw new SafetyViolationException("State Machine Safety",
                    $"{node}'s state after index {index} differs from another replica's at the same index");
        }
        else
        {
            _stateDigestAt[index] = digest;
        }
    }

    /// <summary>Call when a node's state machine is replaced by a snapshot at <paramref name="index"/>.</summary>
    public void OnSnapshotRestored(string node, int incarnation, long index, byte[] digest)
    {
        var key = (node, incarnation);
        var last = _appliedIndexByNode.GetValueOrDefault(key);
        if (index < last)
            throw new SafetyViolationException("Applied order", $"{node} restored a snapshot at {index} after applying {last}");
        _appliedIndexByNode[key] = index;
        OnStateDigest(node, index, digest);
    }

    private void CheckLeader(NodeView leader)
    {
        if (_leaderByTerm.TryGetValue(leader.Term, out var existing) && existing != leader.Id)
            throw new SafetyViolationException("Election Safety",
                $"two leaders in term {leader.Term}: {existing} and {leader.Id}");
        _leaderByTerm[leader.Term] = leader.Id;

        var tipKey = (leader.Id, leader.Term);
        if (_leaderLogTip.TryGetValue(tipKey, out var tip) && tip.LastIndex >= leader.Log.FirstIndex)
        {
            if (leader.Log.LastIndex < tip.LastIndex || leader.Log.EntryAt(tip.LastIndex)?.Term != tip.LastTerm)
                throw new SafetyViolationException("Leader Append-Only",
                    $"{leader.Id}, leader of term {leader.Term}, had {tip.LastIndex}@{tip.LastTerm} and now holds " +
                    $"{leader.Log.EntryAt(tip.LastIndex)?.ToString() ?? "nothing"} there (last index {leader.Log.LastIndex})");
        }
        var lastTerm = leader.Log.EntryAt(leader.Log.LastIndex)?.Term ?? tip.LastTerm;
        _leaderLogTip[tipKey] = (leader.Log.LastIndex, lastTerm);

        var verifiedKey = (leader.Id, leader.Incarnation, leader.Term);
        var verifiedTo = _completenessVerifiedTo.GetValueOrDefault(verifiedKey);
        for (var index = verifiedTo + 1; index <= _highestCommitted; index++)
        {
            var committed = _committed[index];
            if (committed.FirstSeenInTerm > leader.Term) break; // committed after this leader's term began
            verifiedTo = index;
            // Entries covered by the leader's snapshot are checked through the state digests instead.
            if (committed.Entry is null || index < leader.Log.FirstIndex) continue;
            var held = leader.Log.EntryAt(index);
            if (held is null || held.Term != committed.Entry.Term || !held.Data.AsSpan().SequenceEqual(committed.Entry.Data))
                throw new SafetyViolationException("Leader Completeness",
                    $"{leader.Id}, leader of term {leader.Term}, holds {held?.ToString() ?? "nothing"} at {index} " +
                    $"where {committed.Entry} was committed");
        }
        _completenessVerifiedTo[verifiedKey] = verifiedTo;
    }

    private void CheckCommit(NodeView node)
    {
        var durable = node.DurableCommitIndex ?? node.CommitIndex;
        var previousDurable = _durableCommitByNode.GetValueOrDefault(node.Id);
        if (durable < previousDurable)
            throw new SafetyViolationException("Commit monotonicity",
                $"{node.Id}'s commit index went back from {previousDurable} to {durable}");
        _durableCommitByNode[node.Id] = durable;
        // A crash may lose a commit index the node knew but had not persisted; entries it had seen
        // committed stay committed, so recording resumes from the highest index seen.
        var previous = _commitIndexByNode.GetValueOrDefault(node.Id);
        if (node.CommitIndex > node.Log.LastIndex)
            throw new SafetyViolationException("Commit bound",
                $"{node.Id}'s commit index {node.CommitIndex} is beyond its last index {node.Log.LastIndex}");
        for (var index = previous + 1; index <= node.CommitIndex; index++)
        {
            var entry = node.Log.EntryAt(index);
            if (entry is null)
            {
                if (index >= node.Log.FirstIndex)
                    throw new SafetyViolationException("Commit bound", $"{node.Id} committed {index} without holding it");
                // Committed through an installed snapshot: the digests vouch for it.
                if (!_committed.ContainsKey(index)) _committed[index] = new Committed(null, node.Term);
                _highestCommitted = Math.Max(_highestCommitted, index);
                continue;
            }
            if (_committed.TryGetValue(index, out var known))
            {
                if (known.Entry is null) _committed[index] = known with { Entry = entry };
                else if (known.Entry.Term != entry.Term || !known.Entry.Data.AsSpan().SequenceEqual(entry.Data))
                    throw new SafetyViolationException("Committed entry lost",
                        $"{node.Id} committed {entry} at {index} where {known.Entry} was committed before");
            }
            else
            {
                _committed[index] = new Committed(entry, node.Term);
                _highestCommitted = Math.Max(_highestCommitted, index);
            }
        }
        _commitIndexByNode[node.Id] = Math.Max(previous, node.CommitIndex);
        // The entry at the commit index must still be the committed one: a node that lost or replaced
        // a committed entry is caught here even if its commit index did not move.
        if (node.CommitIndex >= node.Log.FirstIndex && _committed.TryGetValue(node.CommitIndex, out var atCommit)
            && atCommit.Entry is not null)
        {
            var held = node.Log.EntryAt(node.CommitIndex);
            if (held is null || held.Term != atCommit.Entry.Term)
                throw new SafetyViolationException("Committed entry lost",
                    $"{node.Id} holds {held?.ToString() ?? "nothing"} at its commit index {node.CommitIndex} where {atCommit.Entry} was committed");
        }
    }

    /// <summary>A committed entry; its content is unknown (null) when it was first seen committed through
    /// a snapshot.</summary>
    private sealed record Committed(LogEntry? Entry, long FirstSeenInTerm);
}
