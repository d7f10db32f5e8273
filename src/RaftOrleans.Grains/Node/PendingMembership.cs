using RaftOrleans.Contracts;

namespace RaftOrleans.Grains.Node;

/// <summary>A membership change or a leadership transfer on its way: queued, then (if this node leads)
/// proposed at (Index, Term) or started in Term, then answered when its outcome is known.</summary>
internal sealed class PendingMembership(MembershipChangeKind kind, string node, bool transfer)
{
    public MembershipChangeKind Kind { get; } = kind;

    /// <summary>The node to add, promote or remove, or the transfer's target.</summary>
    public string Node { get; } = node;

    public bool Transfer { get; } = transfer;

    public long Index { get; set; }

    public long Term { get; set; }

    public TaskCompletionSource<MembershipReply> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Complete(MembershipReply reply) => Completion.TrySetResult(reply);
}
