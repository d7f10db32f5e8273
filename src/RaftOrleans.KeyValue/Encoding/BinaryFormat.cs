using System.Text;

namespace RaftOrleans.KeyValue.Encoding;

/// <summary>
/// Shared pieces of the binary formats: strict UTF-8 (a string that is not valid Unicode is refused,
/// never silently replaced, so an encoding round trip is exact), 7-bit variable-length integers, and the
/// decode wrapper that turns any malformed input into a <see cref="KvFormatException"/>.
/// </summary>
internal static class BinaryFormat
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static int Utf8Length(string text) => StrictUtf8.GetByteCount(text);

    public static bool IsValidUnicode(string text)
    {
        try
        {
            StrictUtf8.GetByteCount(text);
            return true;
        }
        catch (EncoderFallbackException)
        {
            return false;
        }
    }

    public static byte[] Write(Action<BinaryWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, StrictUtf8, leaveOpen: true))
        {
            write(writer);
        }
        return stream.ToArray();
    }

    /// <summary>Decodes all of <paramref name="bytes"/>; trailing bytes are an error too.</summary>
    public static T Read<T>(byte[] bytes, string what, Func<BinaryReader, T> read)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return Read(new ArraySegment<byte>(bytes), what, read);
    }

    /// <summary>Decodes all of <paramref name="bytes"/> (a slice of an array: read in place, not copied).</summary>
    public static T Read<T>(ArraySegment<byte> bytes, string what, Func<BinaryReader, T> read)
    {
        using var stream = new MemoryStream(bytes.Array ?? [], bytes.Offset, bytes.Count, writable: false);
        using var reader = new BinaryReader(stream, StrictUtf8);
        T value;
        try
        {
            value = read(reader);
        }
        catch (Exception e) when (e is EndOfStreamException or DecoderFallbackException or FormatException or IOException)
        {
            throw new KvFormatException($"Malformed {what}: {e.Message}", e);
        }
        if (stream.Position != stream.Length)
        {
            throw new KvFormatException($"Malformed {what}: {stream.Length - stream.Position} trailing bytes.");
        }
        return value;
    }

    public static void ExpectVersion(BinaryReader reader, byte expected, string what)
    {
        var version = reader.ReadByte();
        if (version != expected)
        {
            throw new KvFormatException($"Unsupported {what} format version {version} (this build reads {expected}).");
        }
    }

    public static void WriteNullableString(this BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    public static string? ReadNullableString(this BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

    public static void WriteVarLong(this BinaryWriter writer, long value) => writer.Write7BitEncodedInt64(value);

    public static long ReadVarLong(this BinaryReader reader) => reader.Read7BitEncodedInt64();

    public static void WriteVarInt(this BinaryWriter writer, int value) => writer.Write7BitEncodedInt(value);

    public static int ReadVarInt(this BinaryReader reader) => reader.Read7BitEncodedInt();

    /// <summary>A count read from untrusted bytes: never negative, never beyond what the bytes could hold.</summary>
    public static int ReadCount(this BinaryReader reader)
    {
        var count = reader.ReadVarInt();
        if (count < 0 || count > reader.BaseStream.Length - reader.BaseStream.Position)
        {
            throw new FormatException($"count {count} does not fit in the remaining bytes");
        }
        return count;
    }
}
