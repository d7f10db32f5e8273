namespace RaftOrleans.KeyValue.Encoding;

/// <summary>
/// The bytes of a <see cref="KvResult"/>: what the grain hands back to a client, and how a session's
/// remembered answers are stored in a snapshot.
/// <c>version(1) status(1) revision entry? entries[] more message?</c>.
/// </summary>
public static class KvResultCodec
{
    public const byte FormatVersion = 1;

    public static byte[] Encode(KvResult result) => BinaryFormat.Write(writer => Write(writer, result));

    public static KvResult Decode(byte[] bytes) => BinaryFormat.Read(bytes, "result", Read);

    internal static void Write(BinaryWriter writer, KvResult result)
    {
        writer.Write(FormatVersion);
        writer.Write((byte)result.Status);
        writer.WriteVarLong(result.Revision);
        writer.Write(result.Entry is not null);
        if (result.Entry is not null)
        {
            WriteEntry(writer, result.Entry);
        }
        writer.WriteVarInt(result.Entries.Count);
        foreach (var entry in result.Entries)
        {
            WriteEntry(writer, entry);
        }
        writer.Write(result.More);
        writer.WriteNullableString(result.Message);
    }

    internal static KvResult Read(BinaryReader reader)
    {
        BinaryFormat.ExpectVersion(reader, FormatVersion, "result");
        var status = reader.ReadByte();
        if (!Enum.IsDefined(typeof(KvStatus), status))
        {
            throw new FormatException($"unknown status {status}");
        }
        var revision = reader.ReadVarLong();
        var entry = reader.ReadBoolean() ? ReadEntry(reader) : null;
        var entries = new KvEntry[reader.ReadCount()];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = ReadEntry(reader);
        }
        var more = reader.ReadBoolean();
        var message = reader.ReadNullableString();
        return new KvResult((KvStatus)status, revision, entry, entries, more, message);
    }

    internal static void WriteEntry(BinaryWriter writer, KvEntry entry)
    {
        writer.Write(entry.Key);
        writer.Write(entry.Value);
        writer.WriteVarLong(entry.CreateRevision);
        writer.WriteVarLong(entry.ModRevision);
        writer.WriteVarLong(entry.Version);
    }

    internal static KvEntry ReadEntry(BinaryReader reader) =>
        new(reader.ReadString(), reader.ReadString(), reader.ReadVarLong(), reader.ReadVarLong(), reader.ReadVarLong());
}
