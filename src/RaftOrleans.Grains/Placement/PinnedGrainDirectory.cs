using System.Collections.Concurrent;
using Orleans.GrainDirectory;

namespace RaftOrleans.Grains.Placement;

/// <summary>
/// The grain directory of the pinned grains (the Raft node and its fault table): where grain nX lives needs
/// no lookup, because it may only live on the Active silo named nX. A lookup is answered from this silo's
/// own membership snapshot, and only silo nX records the activation it holds.
/// <para>
/// Why not one of Orleans' directories: they keep each entry on the silo that owns its hash range. When a
/// silo was killed, a lookup of a live node whose entry that silo had held waited until membership declared
/// the silo dead and its range was recovered (2-3 s with this project's probe settings): a survivor's first
/// pre-vote to the other survivor sat there, and failover took as long as the death declaration. Here a
/// silo's death changes no other silo's answer.
/// </para>
/// <para>
/// One activation per node still rests on placement (RaftNodePlacementDirector, and <see cref="Register"/>
/// refusing any silo not of the grain's name) and, as before, on the storage ETag and the activation fence
/// (RaftNodeGrain.Fence.cs) for a silo wrongly declared dead while its old generation still runs.
/// </para>
/// </summary>
internal sealed class PinnedGrainDirectory(IClusterMembershipService membership, ILocalSiloDetails localSilo) : IGrainDirectory
{
    // Only the activations of this silo: the grains whose key is this silo's name.
    private readonly ConcurrentDictionary<GrainId, GrainAddress> _registered = new();

    /// <summary>The newest Active silo named <paramref name="name"/> in <paramref name="snapshot"/>, or null.
    /// A silo restarted under the same name can briefly coexist with its old generation: the newest wins.</summary>
    public static SiloAddress? NewestActiveSiloNamed(ClusterMembershipSnapshot snapshot, string name, IEnumerable<SiloAddress>? among = null)
    {
        SiloAddress? chosen = null;
        foreach (var silo in among ?? snapshot.Members.Keys)
        {
            if (!snapshot.Members.TryGetValue(silo, out var member) || member.Status != SiloStatus.Active || member.Name != name) continue;
            if (chosen is null || silo.Generation > chosen.Generation) chosen = silo;
        }

        return chosen;
    }

    public Task<GrainAddress?> Lookup(GrainId grainId)
    {
        if (_registered.TryGetValue(grainId, out var local)) return Task.FromResult<GrainAddress?>(local);
        var snapshot = membership.CurrentSnapshot;
        var silo = NewestActiveSiloNamed(snapshot, grainId.Key.ToString()!);
        // No activation id: only the silo routes a message (GrainAddress.Matches accepts a default id). Null when
        // the node's silo is not an Active member: placement then refuses the call with its own explanation.
        return Task.FromResult(silo is null
            ? null
            : new GrainAddress { GrainId = grainId, SiloAddress = silo, MembershipVersion = snapshot.Version });
    }

    public Task<GrainAddress?> Register(GrainAddress address) => Register(address, previousAddress: null);

    public Task<GrainAddress?> Register(GrainAddress address, GrainAddress? previousAddress)
    {
        // An activation of nX anywhere but on this silo named nX is refused (null: the activation fails).
        if (address.SiloAddress is null || !address.SiloAddress.Equals(localSilo.SiloAddress) || localSilo.Name != address.GrainId.Key.ToString())
            return Task.FromResult<GrainAddress?>(null);

        var registered = _registered.AddOrUpdate(address.GrainId, address,
            (_, existing) => existing.Matches(address) || (previousAddress is not null && existing.Matches(previousAddress)) ? address : existing);
        // An existing registration of another activation on this silo is returned: Orleans then registers again
        // with it as the previous address, once the catalog knows it is gone (one activation per silo).
        return Task.FromResult<GrainAddress?>(registered);
    }

    public Task Unregister(GrainAddress address)
    {
        if (_registered.TryGetValue(address.GrainId, out var existing) && existing.Matches(address))
            _registered.TryRemove(new KeyValuePair<GrainId, GrainAddress>(address.GrainId, existing));
        return Task.CompletedTask;
    }

    public Task UnregisterSilos(List<SiloAddress> siloAddresses)
    {
        foreach (var (grain, address) in _registered)
        {
            if (address.SiloAddress is { } silo && siloAddresses.Contains(silo)) _registered.TryRemove(grain, out _);
        }

        return Task.CompletedTask;
    }
}
