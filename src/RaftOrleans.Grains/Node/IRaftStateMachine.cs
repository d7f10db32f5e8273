namespace RaftOrleans.Grains;

/// <summary>
/// The replicated application (e.g. the key-value store). The node calls <see cref="Apply"/> for every
/// committed command, in log order, exactly once per activation. A new activation starts from a fresh
/// instance, restores it from the node's latest snapshot (<see cref="RestoreSnapshot"/>) and replays
/// only the entries after it, so the state machine must be deterministic and keep its state in memory
/// only; everything it needs to carry on must be in <see cref="TakeSnapshot"/>.
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

    /// <summary>The whole state after the last applied command, as bytes that
    /// <see cref="RestoreSnapshot"/> turns back into the same state (on this node or another: a leader
    /// sends it to a follower whose log is behind its compacted log).</summary>
    byte[] TakeSnapshot();

    /// <summary>Replaces the whole state with the one <paramref name="snapshot"/> was taken from; the
    /// next <see cref="Apply"/> is for an index after the snapshot's.</summary>
    void RestoreSnapshot(byte[] snapshot);
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

    /// <summary>Every applied command with its index: count, then (index, length, bytes) each.</summary>
    public byte[] TakeSnapshot()
    {
        using var buffer = new MemoryStream();
        using var writer = new BinaryWriter(buffer);
        writer.Write(_applied.Count);
        foreach (var (index, command) in _applied)
        {
            writer.Write(index);
            writer.Write(command.Length);
            writer.Write(command);
        }
        writer.Flush();
        return buffer.ToArray();
    }

    public void RestoreSnapshot(byte[] snapshot)
    {
        using var reader = new BinaryReader(new MemoryStream(snapshot));
        var restored = new List<(long, byte[])>();
        for (var count = reader.ReadInt32(); count > 0; count--)
        {
            var index = reader.ReadInt64();
            restored.Add((index, reader.ReadBytes(reader.ReadInt32())));
        }
        _applied.Clear();
        _applied.AddRange(restored);
    }
}

public sealed class RecordingStateMachineFactory : IRaftStateMachineFactory
{
    public IRaftStateMachine Create(string nodeId) => new RecordingStateMachine();
}
