using RaftOrleans.KeyValue.Encoding;

namespace RaftOrleans.KeyValue.Tests;

public sealed class OperationCodecTests
{
    public static TheoryData<KvOperation> Operations() => new()
    {
        new GetOperation("a/key"),
        new ListOperation("a/", 17),
        new PutOperation("k", "v"),
        new CasOperation("k", null, "v"),
        new DeleteOperation("k"),
    };

    [Theory]
    [MemberData(nameof(Operations))]
    public void A_bare_operation_round_trips(KvOperation operation) =>
        Assert.Equal(operation, KvCommandCodec.DecodeOperation(KvCommandCodec.EncodeOperation(operation)));

    [Fact]
    public void Truncated_or_trailing_bytes_are_a_format_error()
    {
        var bytes = KvCommandCodec.EncodeOperation(new GetOperation("key"));
        Assert.Throws<KvFormatException>(() => KvCommandCodec.DecodeOperation(bytes[..^1]));
        Assert.Throws<KvFormatException>(() => KvCommandCodec.DecodeOperation([.. bytes, 0]));
    }
}
