using System.Collections.Concurrent;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.Grains.Node;
using RaftOrleans.Raft.StateMachine;
using static RaftOrleans.Cluster.Tests.LogChecks;

namespace RaftOrleans.Cluster.Tests;

/// <summary>The node grain as a generic adaptor: any <see cref="IRaftStateMachine"/> plugs in, receives exactly
/// the bytes that were proposed, and the leader's clock beside them (the entry envelope), on every replica.</summary>
public sealed class StateMachineTests
{
    [Fact]
    public void The_envelope_carries_the_leader_time_beside_the_command_and_gives_the_command_back_unchanged()
    {
        var command = Command("put k v");
        var entry = CommandEnvelope.Wrap(1_764_700_000_123, command);

        var (leaderTimeMs, opened) = CommandEnvelope.Open(entry);

        Assert.Equal(CommandEnvelope.Marker, entry[0]);
        Assert.Equal(1_764_700_000_123, leaderTimeMs);
        Assert.Equal(command, opened.ToArray());
    }

    [Fact]
    public void An_entry_written_before_the_envelope_is_all_command_and_carries_no_time()
    {
        // A key-value command of the first format starts with its version byte, 1.
        byte[] legacy = [1, 6, 1, (byte)'c', 0, 0, 0x80, 0x01];

        var (leaderTimeMs, opened) = CommandEnvelope.Open(legacy);

        Assert.Equal(0, leaderTimeMs);
        Assert.Equal(legacy, opened.ToArray());
    }

    [Fact]
    public async Task Every_replica_applies_the_proposed_bytes_with_the_leaders_clock()
    {
        var machines = new ConcurrentDictionary<string, RecordingStateMachine>();
        await using var cluster = await RaftTestCluster.StartAsync(3,
            configure: (node, silo) => silo.UseStateMachine(new CapturingFactory(machine => machines[node] = machine)));
        var leader = await cluster.LeaderAsync();
        var command = Command("a command of the application's own format");

        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var reply = await cluster.Node(leader).Propose(command);
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        Assert.Equal(ClientReplyStatus.Applied, reply.Status);
        Assert.Equal(command, reply.Result); // the recording machine answers with what it was given
        var log = await cluster.AssertLogsAgreeAsync(cluster.Nodes, reply.Index);
        var committed = Assert.Single(log, e => e.Index == reply.Index);
        Assert.Equal(command, committed.Data);
        Assert.InRange(committed.LeaderTimeMs, before, after);
        foreach (var node in cluster.Nodes)
        {
            // Followers apply once they learn the commit index: wait for it rather than race the heartbeat.
            var applied = await Poll.UntilAsync(() => Task.FromResult(machines[node].Applied.ToArray()),
                seen => seen.Any(a => a.Index == reply.Index), TimeSpan.FromSeconds(10), $"{node} to apply {reply.Index}");
            Assert.Equal(command, applied.Single(a => a.Index == reply.Index).Command);
        }
        Assert.InRange(machines[leader].LastLeaderTimeMs, before, after);
    }

    private sealed class CapturingFactory(Action<RecordingStateMachine> created) : IRaftStateMachineFactory
    {
        public IRaftStateMachine Create(string nodeId)
        {
            var machine = new RecordingStateMachine();
            created(machine);
            return machine;
        }
    }
}
