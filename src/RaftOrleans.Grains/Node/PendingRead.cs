using RaftOrleans.Contracts;

namespace RaftOrleans.Grains.Node;

/// <summary>A linearizable read (§6.4) on its way: queued, then waiting for its read index from the
/// core, then waiting until the node has applied that index, then answered from the state machine.</summary>
internal sealed class PendingRead(long requestId, byte[] query, bool lease = false)
{
    public long RequestId { get; } = requestId;

    public byte[] Query { get; } = query;

    /// <summary>The leader may serve it from its lease (IRaftNodeGrain.ReadLeased).</summary>
    public bool Lease { get; } = lease;

    /// <summary>The read index once the leader confirmed it; 0 until then.</summary>
    public long Index { get; set; }

    public TaskCompletionSource<ClientReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Complete(ClientReplyStatus status, long index = 0, long term = 0, byte[]? result = null, string? leaderHint = null) =>
        Completion.TrySetResult(new ClientReply(status, index, term, result, leaderHint));
}
