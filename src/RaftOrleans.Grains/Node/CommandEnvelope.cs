using System.Buffers.Binary;

namespace RaftOrleans.Grains.Node;

/// <summary>
/// What the node writes into a command entry around the application's bytes: the leader's wall clock
/// when it appended the entry, so every replica applies the same time and no replica reads its own clock
/// (<see cref="Raft.StateMachine.IRaftStateMachine.Apply"/>). The node adds it and takes it off; the
/// application never sees it and never has to decode and re-encode its commands to stamp them.
/// Layout: <c>marker(1) leaderTimeMs(8, little-endian) command</c>.
/// </summary>
public static class CommandEnvelope
{
    /// <summary>First byte of an enveloped entry. Entries written before the envelope existed start with the
    /// key-value codec's version byte (1), never with this.</summary>
    public const byte Marker = 0xE1;

    private const int HeaderLength = 1 + sizeof(long);

    public static byte[] Wrap(long leaderTimeMs, ReadOnlySpan<byte> command)
    {
        var entry = new byte[HeaderLength + command.Length];
        entry[0] = Marker;
        BinaryPrimitives.WriteInt64LittleEndian(entry.AsSpan(1), leaderTimeMs);
        command.CopyTo(entry.AsSpan(HeaderLength));
        return entry;
    }

    /// <summary>The leader time and the application's command, without copying it. An entry without the
    /// marker is one written before the envelope: all of it is the command, with no time (0).</summary>
    public static (long LeaderTimeMs, ReadOnlyMemory<byte> Command) Open(byte[] entry)
    {
        if (entry.Length < HeaderLength || entry[0] != Marker) return (0, entry);
        return (BinaryPrimitives.ReadInt64LittleEndian(entry.AsSpan(1)), entry.AsMemory(HeaderLength));
    }
}
