using System.Collections.Immutable;
using System.Net;
using Orleans.Runtime;
using RaftOrleans.Grains.Placement;

namespace RaftOrleans.Cluster.Tests;

/// <summary>The pinned grains' directory: a lookup is answered from membership alone (no other silo is asked,
/// so a dead silo delays nobody's lookup), and only the silo of a grain's own name may register it.</summary>
public sealed class PinnedGrainDirectoryTests
{
    private static readonly SiloAddress N1 = Silo(11100, 1), N2Old = Silo(11101, 1), N2 = Silo(11101, 2), N3 = Silo(11102, 1);
    private static readonly GrainId NodeN2 = GrainId.Create("raftnode", "n2");

    [Fact]
    public async Task A_lookup_names_the_newest_active_silo_of_the_grains_name_or_none()
    {
        var membership = new FixedMembership(Member(N1, "n1"), Member(N2Old, "n2"), Member(N2, "n2"), Member(N3, "n3", SiloStatus.Dead));
        var directory = new PinnedGrainDirectory(membership, new LocalSilo(N1, "n1"));

        Assert.Equal(N2, (await directory.Lookup(NodeN2))?.SiloAddress);
        Assert.Null(await directory.Lookup(GrainId.Create("raftnode", "n3"))); // its only silo is dead
        Assert.Null(await directory.Lookup(GrainId.Create("raftnode", "n4"))); // no silo of that name

        membership.Snapshot = Snapshot(Member(N1, "n1"), Member(N2Old, "n2"), Member(N2, "n2", SiloStatus.Dead));
        Assert.Equal(N2Old, (await directory.Lookup(NodeN2))?.SiloAddress);
    }

    [Fact]
    public async Task Only_the_silo_of_the_grains_name_registers_it_and_one_activation_at_a_time()
    {
        var membership = new FixedMembership(Member(N1, "n1"), Member(N2, "n2"));
        var onN1 = new PinnedGrainDirectory(membership, new LocalSilo(N1, "n1"));
        var onN2 = new PinnedGrainDirectory(membership, new LocalSilo(N2, "n2"));

        // n2's grain activating on silo n1 (a stale cache, a misrouted message): refused.
        Assert.Null(await onN1.Register(Address(NodeN2, N1)));

        var first = Address(NodeN2, N2);
        Assert.Equal(first, await onN2.Register(first));
        Assert.Equal(first, await onN2.Lookup(NodeN2)); // the exact activation, on its own silo

        // A second activation is told about the first until it names it as the previous registration.
        var second = Address(NodeN2, N2);
        Assert.Equal(first, await onN2.Register(second));
        Assert.Equal(second, await onN2.Register(second, first));

        // Unregistering the old one leaves the new one; unregistering the new one empties the entry.
        await onN2.Unregister(first);
        Assert.Equal(second, await onN2.Lookup(NodeN2));
        await onN2.Unregister(second);
        var fromMembership = await onN2.Lookup(NodeN2);
        Assert.Equal(N2, fromMembership?.SiloAddress);
        Assert.True(fromMembership!.ActivationId.IsDefault);
    }

    private static SiloAddress Silo(int port, int generation) => SiloAddress.New(new IPEndPoint(IPAddress.Loopback, port), generation);

    private static ClusterMember Member(SiloAddress silo, string name, SiloStatus status = SiloStatus.Active) => new(silo, status, name);

    private static GrainAddress Address(GrainId grain, SiloAddress silo) =>
        new() { GrainId = grain, SiloAddress = silo, ActivationId = ActivationId.NewId() };

    private static ClusterMembershipSnapshot Snapshot(params ClusterMember[] members) =>
        new(members.ToImmutableDictionary(m => m.SiloAddress), new MembershipVersion(members.Length));

    private sealed class FixedMembership(params ClusterMember[] members) : IClusterMembershipService
    {
        public ClusterMembershipSnapshot Snapshot { get; set; } = PinnedGrainDirectoryTests.Snapshot(members);
        public ClusterMembershipSnapshot CurrentSnapshot => Snapshot;
        public IAsyncEnumerable<ClusterMembershipSnapshot> MembershipUpdates => throw new NotSupportedException();
        public ValueTask Refresh(MembershipVersion minimumVersion = default, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
        public Task<bool> TryKill(SiloAddress siloAddress) => Task.FromResult(false);
    }

    private sealed class LocalSilo(SiloAddress address, string name) : ILocalSiloDetails
    {
        public string Name => name;
        public string ClusterId => "test";
        public string DnsHostName => "localhost";
        public SiloAddress SiloAddress => address;
        public SiloAddress GatewayAddress => address;
    }
}
