using Orleans.Concurrency;
using Orleans.GrainDirectory;
using Orleans.Placement;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Placement;
using RaftOrleans.Grains.Hosting;

namespace RaftOrleans.Grains.Faults;

/// <summary>The console's handle on one silo's fault table: key nX lives on silo nX only (same pinned
/// placement as the node), so setting it on nX changes what silo nX's filter enforces.</summary>
[Reentrant, Immovable, RaftNodePlacement, GrainDirectory(RaftSiloBuilderExtensions.NodeDirectoryName)]
internal sealed class NetworkFaultsGrain(NetworkFaultState state) : Grain, INetworkFaultsGrain
{
    public Task<NetworkFaultTable> Get() => Task.FromResult(state.Current);

    public Task<NetworkFaultTable> Set(NetworkFaultTable table) => Task.FromResult(state.Adopt(table));
}
