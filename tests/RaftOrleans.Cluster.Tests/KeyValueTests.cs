using RaftOrleans.KeyValue.Raft;
using System.Collections.Concurrent;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.KeyValue;
using RaftOrleans.KeyValue.Encoding;
using static RaftOrleans.Cluster.Tests.TransportRetry;

namespace RaftOrleans.Cluster.Tests;

/// <summary>The replicated key-value store through the node grain: commands via Propose, queries via
/// Read (ReadIndex, §6.4), with the KV state machine every real silo runs.</summary>
public sealed class KeyValueTests
{
    private static Task<RaftTestCluster> StartKvClusterAsync() =>
        RaftTestCluster.StartAsync(3, configure: (_, silo) => silo.UseStateMachine(new KvNodeStateMachineFactory()));

    internal static byte[] Command(KvOperation operation) => KvCommandCodec.Encode(KvCommand.Unsessioned(operation));

    internal static byte[] Query(KvOperation operation) => KvCommandCodec.EncodeOperation(operation);

    internal static KvResult Result(ClientReply reply) =>
        KvResultCodec.Decode(reply.Result ?? throw new InvalidOperationException($"no result in {reply}"));

    private static async Task<(ClientReply Reply, KvResult Result)> WriteAsync(RaftTestCluster cluster, byte[] command)
    {
        var reply = await cluster.ProposeAsync(command);
        return (reply, Result(reply));
    }

    [Fact]
    public async Task Commands_and_linearizable_and_stale_reads_see_the_replicated_store_and_a_retried_session_command_applies_once()
    {
        await using var cluster = await StartKvClusterAsync();
        var leader = await cluster.LeaderAsync();
        var followers = cluster.Nodes.Where(n => n != leader).ToArray();

        var (putReply, put) = await WriteAsync(cluster, Command(new PutOperation("k", "v1")));
        Assert.Equal(KvStatus.Ok, put.Status);
        Assert.Equal("v1", put.Entry?.Value);

        // A linearizable read at a follower, right after the write was acknowledged by the leader.
        // (Unknown means only "not served in time", which a busy CI machine can cause right after start:
        // asked again until served, the answer is what is judged.)
        var followerRead = await Poll.UntilAsync(() => cluster.Node(followers[0]).Read(Query(new GetOperation("k")), allowStale: false),
            read => read.Status != ClientReplyStatus.Unknown, TimeSpan.FromSeconds(15), "the follower to serve the read", read => read.Status.ToString());
        Assert.Equal(ClientReplyStatus.Applied, followerRead.Status);
        Assert.True(followerRead.Index >= putReply.Index, $"read at {followerRead.Index} before the write at {putReply.Index}");
        Assert.Equal("v1", Result(followerRead).Entry?.Value);

        var (_, casFailed) = await WriteAsync(cluster, Command(new CasOperation("k", "wrong", "v2")));
        Assert.Equal(KvStatus.CompareFailed, casFailed.Status);
        Assert.Equal("v1", casFailed.Entry?.Value);
        var (_, cas) = await WriteAsync(cluster, Command(new CasOperation("k", "v1", "v2")));
        Assert.Equal(KvStatus.Ok, cas.Status);
        var afterCas = await cluster.Node(followers[1]).Read(Query(new GetOperation("k")), allowStale: false);
        Assert.Equal("v2", Result(afterCas).Entry?.Value);

        var (deleteReply, delete) = await WriteAsync(cluster, Command(new DeleteOperation("k")));
        Assert.Equal(KvStatus.Ok, delete.Status);
        var afterDelete = await cluster.Node(leader).Read(Query(new GetOperation("k")), allowStale: false);
        Assert.Equal(KvStatus.NotFound, Result(afterDelete).Status);

        // A stale read answers from what the node has applied, and says how far that is: before the
        // delete's index the key is there, from it on it is gone.
        for (var i = 0; i < 20; i++)
        {
            var stale = await cluster.Node(followers[i % 2]).Read(Query(new GetOperation("k")), allowStale: true);
            Assert.Equal(ClientReplyStatus.Applied, stale.Status);
            Assert.True(stale.Index >= putReply.Index, $"stale read at {stale.Index}, below entries already committed and applied");
            Assert.Equal(stale.Index >= deleteReply.Index ? KvStatus.NotFound : KvStatus.Ok, Result(stale).Status);
        }

        // Write operations are refused by Read rather than applied outside the log.
        var refused = await cluster.Node(leader).Read(Query(new PutOperation("k", "x")), allowStale: false);
        Assert.Equal(KvStatus.InvalidCommand, Result(refused).Status);

        // Exactly once (§6.3): the same sessioned create-if-absent proposed twice (a client retry) applies
        // once; the retry gets the first answer, not CompareFailed.
        Assert.Equal(KvStatus.Ok, (await WriteAsync(cluster, KvCommandCodec.Encode(KvCommand.OpenSession("client-1")))).Result.Status);
        var create = KvCommandCodec.Encode(KvCommand.InSession("client-1", 1, 1, new CasOperation("once", null, "first")));
        var (_, first) = await WriteAsync(cluster, create);
        var (_, retry) = await WriteAsync(cluster, create);
        Assert.Equal(KvStatus.Ok, first.Status);
        Assert.Equal(first, retry);
        var once = Result(await cluster.Node(followers[0]).Read(Query(new GetOperation("once")), allowStale: false));
        Assert.Equal(1, once.Entry?.Version);
        Assert.Equal(first.Revision, once.Entry?.ModRevision);
    }

    [Fact]
    public async Task A_leader_cut_off_from_every_follower_answers_no_linearizable_read()
    {
        await using var cluster = await StartKvClusterAsync();
        await WriteAsync(cluster, Command(new PutOperation("k", "old")));
        var leader = await cluster.LeaderAsync();
        foreach (var other in cluster.Nodes.Where(n => n != leader)) await cluster.KillAsync(other);

        // Whatever it still believes, it cannot confirm its leadership with a heartbeat round, so it must
        // not answer (the others could have elected a new leader and written meanwhile).
        for (var i = 0; i < 3; i++)
        {
            var reply = await ReachAsync(() => cluster.Node(leader).Read(Query(new GetOperation("k")), allowStale: false));
            Assert.True(reply.Status is ClientReplyStatus.NotLeader or ClientReplyStatus.Unknown, reply.ToString());
            Assert.Null(reply.Result);
        }
        // A stale read still answers, from what it applied.
        var stale = await ReachAsync(() => cluster.Node(leader).Read(Query(new GetOperation("k")), allowStale: true));
        Assert.Equal("old", Result(stale).Entry?.Value);
    }

    [Fact]
    public async Task Every_acknowledged_write_of_concurrent_clients_survives_the_leaders_silo_being_killed_and_restarted()
    {
        await using var cluster = await StartKvClusterAsync();
        var acknowledged = new ConcurrentDictionary<string, string>();
        var leader = await cluster.LeaderAsync();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var clients = Enumerable.Range(0, 3).Select(c => RunClientAsync(cluster, c, acknowledged, 25, stop.Token)).ToArray();

        await Poll.UntilAsync(() => Task.FromResult(acknowledged.Count), n => n >= 6, TimeSpan.FromSeconds(20), "writes before the kill");
        await cluster.KillAsync(leader);
        var beforeRestart = acknowledged.Count;
        await Poll.UntilAsync(() => Task.FromResult(acknowledged.Count), n => n >= beforeRestart + 6, TimeSpan.FromSeconds(20),
            "writes under a new leader");
        await cluster.RestartAsync(leader);
        await Task.WhenAll(clients);
        Assert.True(acknowledged.Count >= beforeRestart + 6);

        // Each acknowledged write is readable, linearizably, at every node, the restarted one included.
        foreach (var node in cluster.Nodes)
        {
            foreach (var (key, value) in acknowledged)
            {
                var reply = await Poll.UntilAsync(() => cluster.Node(node).Read(Query(new GetOperation(key)), allowStale: false),
                    r => r.Status == ClientReplyStatus.Applied, TimeSpan.FromSeconds(15), $"a read of {key} at {node}");
                Assert.Equal(value, Result(reply).Entry?.Value);
            }
        }
    }

    /// <summary>Writes <paramref name="writes"/> distinct keys one after another at whichever node leads,
    /// following NotLeader hints; records only the writes acknowledged as applied.</summary>
    private static async Task RunClientAsync(RaftTestCluster cluster, int client, ConcurrentDictionary<string, string> acknowledged,
        int writes, CancellationToken stop)
    {
        var target = cluster.Nodes[client % cluster.Nodes.Count];
        var next = 0;
        for (var i = 0; i < writes && !stop.IsCancellationRequested; i++)
        {
            var key = $"client{client}-key{i}";
            var value = $"value-{client}-{i}";
            while (!stop.IsCancellationRequested)
            {
                ClientReply reply;
                try
                {
                    reply = await cluster.Node(target).Propose(Command(new PutOperation(key, value)));
                }
                catch (Exception)
                {
                    reply = new ClientReply(ClientReplyStatus.Unavailable, 0, 0, null, null); // its silo is down
                }
                if (reply.Status == ClientReplyStatus.Applied)
                {
                    Assert.Equal(KvStatus.Ok, Result(reply).Status);
                    acknowledged[key] = value;
                    break;
                }
                if (reply.Status == ClientReplyStatus.Unknown) break; // maybe applied: not acknowledged, move on
                target = reply.LeaderHint is { } hint && cluster.Nodes.Contains(hint) ? hint : cluster.Nodes[next++ % cluster.Nodes.Count];
                await Task.Delay(20, CancellationToken.None);
            }
        }
    }
}
