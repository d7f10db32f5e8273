using RaftOrleans.Raft.StateMachine;

namespace RaftOrleans.Grains.Node;

/// <summary>Until an application plugs in: remembers every command applied and answers each with the
/// command itself, so tests can see what was applied where and in which order.</summary>
public sealed class RecordingStateMachine : IRaftStateMachine
{
    private readonly List<(long Index, byte[] Command)> _applied = new();

    public IReadOnlyList<(long Index, byte[] Command)> Applied => _applied;

    /// <summary>The leader time of the last command applied (tests check that it travels with the entry).</summary>
    public long LastLeaderTimeMs { get; private set; }

    public byte[] Apply(long index, long leaderTimeMs, ReadOnlyMemory<byte> command)
    {
        if (_applied.Count > 0 && index <= _applied[^1].Index)
            throw new InvalidOperationException($"apply of {index} after {_applied[^1].Index}: applies must go forward");
        var bytes = command.ToArray();
        _applied.Add((index, bytes));
        LastLeaderTimeMs = leaderTimeMs;
        return bytes;
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
