using RaftOrleans.KeyValue.Raft;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.KeyValue;
using static RaftOrleans.Cluster.Tests.KeyValueTests;

namespace RaftOrleans.Cluster.Tests;

/// <summary>Lease reads through the grain (dissertation §6.4.1): the leader answers from its lease, a follower
/// forwards an ordinary read index request, and a node that lost the leadership never answers from a lease.</summary>
public sealed class LeaseReadTests
{
    [Fact]
    public async Task Lease_reads_see_every_acknowledged_write_at_the_leader_at_followers_and_after_the_leadership_moves()
    {
        await using var cluster = await RaftTestCluster.StartAsync(3, configure: (_, silo) => silo.UseStateMachine(new KvNodeStateMachineFactory()));
        await cluster.ProposeAsync(Command(new PutOperation("k", "first")));
        var leader = await cluster.LeaderAsync();
        foreach (var node in cluster.Nodes) Assert.Equal("first", await LeasedGetAsync(cluster, node));

        // The old leader handed over its leadership: its lease is void, and a read there must see the new
        // leader's write (it can only do so through the new leader).
        var target = cluster.Nodes.First(n => n != leader);
        Assert.Equal(MembershipStatus.Done, (await cluster.Node(leader).TransferLeadership(target)).Status);
        await cluster.AgreedLeaderAsync(cluster.Nodes);
        await cluster.ProposeAsync(Command(new PutOperation("k", "second")));
        foreach (var node in cluster.Nodes) Assert.Equal("second", await LeasedGetAsync(cluster, node));
    }

    private static async Task<string?> LeasedGetAsync(RaftTestCluster cluster, string node)
    {
        var reply = await Poll.UntilAsync(() => cluster.Node(node).ReadLeased(Query(new GetOperation("k"))),
            r => r.Status == ClientReplyStatus.Applied, TimeSpan.FromSeconds(10), $"a lease read at {node}");
        return Result(reply).Entry?.Value;
    }
}
