namespace RaftOrleans.Grains;

/// <summary>
/// The replicated application (e.g. the key-value store). The node calls <see cref="Apply"/> for every
/// committed command, in log order, exactly once per activation; a new activation starts from a fresh
/// instance and replays the log from index 1 (no snapshots yet), so the state machine must be
/// deterministic and keep its state in memory only.
/// </summary>
public interface IRaftStateMachine
{
    /// <summary>Applies the command committed at <paramref name="index"/>; the returned bytes go back to
    /// the proposer. Must not throw for a bad command: answer with an error result instead, since
    /// every replica must take the same decision.</summary>
    byte[] Apply(long index, byte[] command);

    /// <summary>Answers a read-only <paramref name="query"/> from the state applied so far, changing
    /// nothing. The node calls it for <c>Read</c> once it has applied the read index (§6.4). Must not
    /// throw for a bad query: answer with an error result.</summary>
    byte[] Query(byte[] query);

    /// <summary>Called on the leader just before it appends <paramref name="command"/>: returns the
    /// command to append, carrying <paramref name="leaderTimeMs"/> (the leader's wall clock, Unix ms) if
    /// the application keeps time. Replicas must take time only from applied commands, never from their
    /// own clock, so that every replica decides the same. Return the command unchanged when it cannot be
    /// decoded: <see cref="Apply"/> answers it with an error the same way everywhere.</summary>
    byte[] StampForProposal(byte[] command, long leaderTimeMs);
}

/// <summary>Creates the state machine of one node activation. Register your own with
/// <c>services.AddSingleton&lt;IRaftStateMachineFactory, ...&gt;()</c>; AddRaftNode registers
/// <see cref="RecordingStateMachineFactory"/> only when none is.</summary>
public interface IRaftStateMachineFactory
{
    IRaftStateMachine Create(string nodeId);
}

/// <summary>Until an application plugs in: remembers every command applied and answers each with the
/// command itself, so tests can see what was applied where and in which order.</summary>
public sealed class RecordingStateMachine : IRaftStateMachine
{
    private readonly List<(long Index, byte[] Command)> _applied = new();

    public IReadOnlyList<(long Index, byte[] Command)> Applied => _applied;

    public byte[] Apply(long index, byte[] command)
    {
        if (_applied.Count > 0 && index <= _applied[^1].Index)
            throw new InvalidOperationException($"apply of {index} after {_applied[^1].Index}: applies must go forward");
        _applied.Add((index, command));
        return command;
    }

    /// <summary>The query is an 8-byte little-endian log index: answers the command applied at that
    /// index, or an empty array when none was (yet).</summary>
    public byte[] Query(byte[] query)
    {
        if (query.Length != sizeof(long)) return [];
        var index = BitConverter.ToInt64(query);
        foreach (var (appliedIndex, command) in _applied)
            if (appliedIndex == index) return command;
        return [];
    }

    /// <summary>Keeps no time: appends commands as proposed, so tests see exactly the bytes they sent.</summary>
    public byte[] StampForProposal(byte[] command, long leaderTimeMs) => command;
}

public sealed class RecordingStateMachineFactory : IRaftStateMachineFactory
{
    public IRaftStateMachine Create(string nodeId) => new RecordingStateMachine();
}
