using RaftOrleans.KeyValue.Encoding;
using RaftOrleans.KeyValue.Sessions;

namespace RaftOrleans.KeyValue;

/// <summary>Snapshots (dissertation §5): the whole state, sessions and revisions included, since a
/// replica restored without its sessions would apply a retried command a second time.</summary>
public sealed partial class KvStateMachine
{
    public const byte SnapshotFormatVersion = 1;

    /// <summary>The full state as bytes; equal states give equal bytes (keys and sessions are written
    /// in ordinal order).</summary>
    public byte[] TakeSnapshot() => BinaryFormat.Write(writer =>
    {
        writer.Write(SnapshotFormatVersion);
        writer.WriteVarLong(AppliedIndex);
        writer.WriteVarLong(Revision);
        writer.WriteVarLong(ClockMs);
        writer.WriteVarLong(_sessions.NextSweepMs);
        writer.WriteVarInt(_keys.Count);
        foreach (var entry in _keys.InKeyOrder())
        {
            KvResultCodec.WriteEntry(writer, entry);
        }
        writer.WriteVarInt(_sessions.Count);
        foreach (var session in _sessions.InIdOrder())
        {
            writer.Write(session.ClientId);
            writer.WriteVarLong(session.LastActiveMs);
            writer.WriteVarLong(session.LowestOutstanding);
            writer.WriteVarInt(session.AnswerCount);
            foreach (var (sequence, answer) in session.Answers)
            {
                writer.WriteVarLong(sequence);
                KvResultCodec.Write(writer, answer);
            }
        }
    });

    /// <summary>A state machine holding exactly the state <paramref name="snapshot"/> was taken from.
    /// Throws <see cref="KvFormatException"/> for bytes that are not a snapshot.</summary>
    public static KvStateMachine Restore(byte[] snapshot, KvOptions? options = null)
    {
        var machine = new KvStateMachine(options);
        BinaryFormat.Read(snapshot, "snapshot", reader =>
        {
            BinaryFormat.ExpectVersion(reader, SnapshotFormatVersion, "snapshot");
            machine.AppliedIndex = reader.ReadVarLong();
            var revision = reader.ReadVarLong();
            machine.ClockMs = reader.ReadVarLong();
            var nextSweepMs = reader.ReadVarLong();
            var entries = new KvEntry[reader.ReadCount()];
            for (var i = 0; i < entries.Length; i++)
            {
                entries[i] = KvResultCodec.ReadEntry(reader);
            }
            machine._keys.Load(revision, entries);
            var sessions = new ClientSession[reader.ReadCount()];
            for (var i = 0; i < sessions.Length; i++)
            {
                sessions[i] = ReadSession(reader);
            }
            machine._sessions.Load(nextSweepMs, sessions);
            return machine;
        });
        return machine;
    }

    private static ClientSession ReadSession(BinaryReader reader)
    {
        var clientId = reader.ReadString();
        var lastActiveMs = reader.ReadVarLong();
        var lowestOutstanding = reader.ReadVarLong();
        var answers = new KeyValuePair<long, KvResult>[reader.ReadCount()];
        for (var i = 0; i < answers.Length; i++)
        {
            answers[i] = new(reader.ReadVarLong(), KvResultCodec.Read(reader));
        }
        return ClientSession.Load(clientId, lastActiveMs, lowestOutstanding, answers);
    }
}
