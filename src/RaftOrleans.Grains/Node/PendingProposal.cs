using System.Diagnostics;
using RaftOrleans.Contracts;

namespace RaftOrleans.Grains.Node;

/// <summary>A client command on its way through the log: queued, then (if this node leads) appended at
/// (Index, Term), then answered when that index is applied.</summary>
internal sealed class PendingProposal(byte[] command)
{
    public byte[] Command { get; } = command;

    /// <summary>Set once the core accepts the command; 0 until then.</summary>
    public long Index { get; set; }

    public long Term { get; set; }

    public TaskCompletionSource<ClientReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Stopwatch timestamps for the write-stage breakdown: arrival in Propose, and the answer set.</summary>
    public long ArrivedAt { get; } = Stopwatch.GetTimestamp();

    public long CompletedAt { get; private set; }

    public void Complete(ClientReplyStatus status, byte[]? result = null, string? leaderHint = null)
    {
        if (Completion.Task.IsCompleted) return;
        CompletedAt = Stopwatch.GetTimestamp();
        Completion.TrySetResult(new ClientReply(status, Index, Term, result, leaderHint));
    }
}
