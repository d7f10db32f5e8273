namespace RaftOrleans.KeyValue.Encoding;

/// <summary>
/// The bytes of a Raft log entry that carries a <see cref="KvCommand"/>. Compact, versioned and
/// deterministic (the same command always gives the same bytes):
/// <c>version(2) opcode(1) clientId(string) sequence lowestOutstanding (7-bit varints) operands</c>.
/// Version 1 also carried the leader's timestamp after lowestOutstanding; the node now carries it in the
/// entry's envelope, and logs written before that still decode (<see cref="DecodeEntry"/>).
/// </summary>
public static class KvCommandCodec
{
    public const byte FormatVersion = 2;

    /// <summary>Commands with the leader's timestamp inside, as logs written before 2026-12-04 hold them.</summary>
    public const byte TimestampedFormatVersion = 1;

    /// <summary>Bare operations (the queries of reads that do not go through the log) never changed format.</summary>
    public const byte OperationFormatVersion = 1;

    // Opcodes are part of the wire format: never renumber.
    private const byte PutCode = 1;
    private const byte GetCode = 2;
    private const byte DeleteCode = 3;
    private const byte CasCode = 4;
    private const byte ListCode = 5;
    private const byte OpenSessionCode = 6;

    /// <summary>Encodes <paramref name="command"/>; throws <see cref="KvFormatException"/> for strings
    /// that are not valid Unicode (validate first: <see cref="KvValidation"/>).</summary>
    public static byte[] Encode(KvCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        try
        {
            return BinaryFormat.Write(writer =>
            {
                writer.Write(FormatVersion);
                writer.Write(Opcode(command.Operation));
                writer.Write(command.ClientId);
                writer.WriteVarLong(command.Sequence);
                writer.WriteVarLong(command.LowestOutstandingSequence);
                WriteOperands(writer, command.Operation);
            });
        }
        catch (System.Text.EncoderFallbackException e)
        {
            throw new KvFormatException("A key, value or client id is not valid Unicode.", e);
        }
    }

    public static KvCommand Decode(byte[] bytes) => DecodeEntry(bytes, out _);

    /// <summary>Decodes a command as a log entry holds it, read in place. <paramref name="embeddedTimestampMs"/>
    /// is the leader's timestamp that a version-1 command carried inside (0 for the current format).</summary>
    public static KvCommand DecodeEntry(ArraySegment<byte> bytes, out long embeddedTimestampMs)
    {
        long timestamp = 0;
        var command = BinaryFormat.Read(bytes, "command", reader =>
        {
            var version = reader.ReadByte();
            if (version is not (FormatVersion or TimestampedFormatVersion))
            {
                throw new KvFormatException($"Unsupported command format version {version} (this build reads {TimestampedFormatVersion} and {FormatVersion}).");
            }
            var opcode = reader.ReadByte();
            var clientId = reader.ReadString();
            var sequence = reader.ReadVarLong();
            var lowestOutstanding = reader.ReadVarLong();
            if (version == TimestampedFormatVersion) timestamp = reader.ReadVarLong();
            return new KvCommand(clientId, sequence, lowestOutstanding, ReadOperands(reader, opcode));
        });
        embeddedTimestampMs = timestamp;
        return command;
    }

    /// <summary>Encodes a bare operation, without session or timestamp: the query of a read that does
    /// not go through the log (<c>IRaftNodeGrain.Read</c>). Layout <c>version(1) opcode(1) operands</c>.</summary>
    public static byte[] EncodeOperation(KvOperation operation)
    {
        ArgumentNullException.ThrowIfNull(operation);
        try
        {
            return BinaryFormat.Write(writer =>
            {
                writer.Write(OperationFormatVersion);
                writer.Write(Opcode(operation));
                WriteOperands(writer, operation);
            });
        }
        catch (System.Text.EncoderFallbackException e)
        {
            throw new KvFormatException("A key or value is not valid Unicode.", e);
        }
    }

    /// <summary>Decodes what <see cref="EncodeOperation"/> wrote; <see cref="KvFormatException"/> on bad bytes.</summary>
    public static KvOperation DecodeOperation(byte[] bytes) => BinaryFormat.Read(bytes, "operation", reader =>
    {
        BinaryFormat.ExpectVersion(reader, OperationFormatVersion, "operation");
        return ReadOperands(reader, reader.ReadByte());
    });

    private static byte Opcode(KvOperation operation) => operation switch
    {
        PutOperation => PutCode,
        GetOperation => GetCode,
        DeleteOperation => DeleteCode,
        CasOperation => CasCode,
        ListOperation => ListCode,
        OpenSessionOperation => OpenSessionCode,
        _ => throw new ArgumentException($"Unknown operation {operation.GetType().Name}.", nameof(operation)),
    };

    private static void WriteOperands(BinaryWriter writer, KvOperation operation)
    {
        switch (operation)
        {
            case PutOperation put:
                writer.Write(put.Key);
                writer.Write(put.Value);
                break;
            case GetOperation get:
                writer.Write(get.Key);
                break;
            case DeleteOperation delete:
                writer.Write(delete.Key);
                break;
            case CasOperation cas:
                writer.Write(cas.Key);
                writer.WriteNullableString(cas.Expected);
                writer.Write(cas.Value);
                break;
            case ListOperation list:
                writer.Write(list.Prefix);
                writer.WriteVarInt(list.Limit);
                break;
        }
    }

    private static KvOperation ReadOperands(BinaryReader reader, byte opcode) => opcode switch
    {
        PutCode => new PutOperation(reader.ReadString(), reader.ReadString()),
        GetCode => new GetOperation(reader.ReadString()),
        DeleteCode => new DeleteOperation(reader.ReadString()),
        CasCode => new CasOperation(reader.ReadString(), reader.ReadNullableString(), reader.ReadString()),
        ListCode => new ListOperation(reader.ReadString(), reader.ReadVarInt()),
        OpenSessionCode => new OpenSessionOperation(),
        _ => throw new FormatException($"unknown opcode {opcode}"),
    };
}
