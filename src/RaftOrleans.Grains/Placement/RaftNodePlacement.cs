using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace RaftOrleans.Grains.Placement;

/// <summary>Places Raft node <c>nX</c> on the silo named <c>nX</c> and nowhere else.</summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.RaftNodePlacement")]
public sealed class RaftNodePlacementStrategy : PlacementStrategy
{
    internal static readonly RaftNodePlacementStrategy Instance = new();
}

/// <summary>Marks a grain whose string key names the silo it must live on.</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class RaftNodePlacementAttribute() : PlacementAttribute(RaftNodePlacementStrategy.Instance);

/// <summary>
/// Picks the Active silo whose name equals the grain key. There is deliberately no fallback: a Raft
/// node that started on another node's silo would run two nodes' roles in one process and share a
/// failure domain, so when its silo is absent the activation fails and the caller (a peer's send, a
/// client) sees the error and moves on. Placement is an affinity, not a fence: the storage ETag is what
/// stops a duplicate activation from acting (see RaftNodeStore).
/// </summary>
internal sealed class RaftNodePlacementDirector(IClusterMembershipService membership) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var nodeId = target.GrainIdentity.Key.ToString()!;
        var snapshot = membership.CurrentSnapshot;
        var chosen = PinnedGrainDirectory.NewestActiveSiloNamed(snapshot, nodeId, context.GetCompatibleSilos(target));
        if (chosen is not null) return Task.FromResult(chosen);

        var seen = string.Join(", ", snapshot.Members.Values.Select(m => $"{m.Name}({m.Status})"));
        throw new RaftNodePlacementException(
            $"Raft node '{nodeId}' may only run on the Active silo named '{nodeId}', and there is none. Silos: [{seen}]");
    }
}

/// <summary>Thrown to whoever calls a node whose silo is not an Active member.</summary>
[GenerateSerializer, Alias("RaftOrleans.RaftNodePlacementException")]
public sealed class RaftNodePlacementException : OrleansException
{
    public RaftNodePlacementException(string message) : base(message) { }
}
