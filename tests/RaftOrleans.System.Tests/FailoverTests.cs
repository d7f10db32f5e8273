using RaftOrleans.Contracts;
using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

public sealed class ThreeNodeSqliteCluster() : TestCluster(basePort: 23100)
{
    protected override UpOptions Options => new() { Nodes = 3 };
}

/// <summary>Kill -9, SIGSTOP and restart of real silo processes of a 3-node cluster on SQLite.</summary>
[Collection(RealProcesses.Name)]
public sealed partial class FailoverTests(ThreeNodeSqliteCluster cluster) : IClassFixture<ThreeNodeSqliteCluster>
{
    private const int ClusterSize = 3;
    private static readonly TimeSpan ElectionLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Three_nodes_elect_one_leader_that_all_follow()
    {
        await cluster.EnsureHealthyAsync();

        var rows = await cluster.WaitForAsync("every node names the same leader in the same term",
            rows => rows.All(row => row.Reachable) && rows.Select(row => (row.Status!.Leader, row.Status.Term)).Distinct().Count() == 1,
            ElectionLimit);

        Assert.Single(rows, row => row.Status!.Role == NodeRole.Leader);
        Assert.All(rows, row => Assert.Equal(row.Node, row.Status!.Silo));
    }

    [Fact]
    public async Task Killing_the_leader_elects_another_and_status_does_not_hang()
    {
        await cluster.EnsureHealthyAsync();
        var before = await cluster.StatusAsync();
        var oldLeader = TestCluster.AgreedLeader(before, ClusterSize) ?? throw new InvalidOperationException("no leader to kill");
        var oldTerm = before.Single(row => row.Node == oldLeader).Status!.Term;

        cluster.Launcher.Kill(oldLeader);

        var after = await cluster.WaitForAsync($"a new leader after {oldLeader} was killed",
            rows => TestCluster.AgreedLeader(rows, ClusterSize) is { } leader && leader != oldLeader, ElectionLimit);
        Assert.True(after.Single(row => row.Status?.Role == NodeRole.Leader).Status!.Term > oldTerm);

        var (elapsed, json) = await StatusJsonAsync();
        Assert.False(RowFor(json, oldLeader).GetProperty("reachable").GetBoolean());
        Assert.True(elapsed < TimeSpan.FromSeconds(20), $"raftctl status took {elapsed.TotalSeconds:0.0} s with a dead node");
    }

    [Fact]
    public async Task Pausing_the_leader_elects_another_and_shows_the_frozen_node_unreachable()
    {
        await cluster.EnsureHealthyAsync();
        var oldLeader = TestCluster.AgreedLeader(await cluster.StatusAsync(), ClusterSize) ?? throw new InvalidOperationException("no leader to pause");

        cluster.Launcher.Pause(oldLeader);
        try
        {
            await cluster.WaitForAsync($"a new leader while {oldLeader} is frozen",
                rows => TestCluster.AgreedLeader(rows, ClusterSize) is { } leader && leader != oldLeader, ElectionLimit);

            // The frozen silo accepts TCP but never answers: its row must still come back, as unreachable.
            var clock = Stopwatch.StartNew();
            var rows = await cluster.StatusAsync();
            clock.Stop();
            var frozenRow = rows.Single(row => row.Node == oldLeader);
            Assert.False(frozenRow.Reachable);
            // Judged by its handshake against the nodes that did answer, not by waiting out the generous connect limit.
            Assert.Contains("handshake", frozenRow.Error);
            Assert.Contains("while the other nodes did (frozen?)", frozenRow.Error);
            // Hastening the frozen verdict must not cost a healthy node its row.
            Assert.All(rows.Where(row => row.Node != oldLeader), row => Assert.True(row.Reachable, $"{row.Node}: {row.Error}"));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"status took {clock.Elapsed.TotalSeconds:0.0} s with a frozen node");

            var (elapsed, json) = await StatusJsonAsync();
            Assert.False(RowFor(json, oldLeader).GetProperty("reachable").GetBoolean());
            foreach (var healthy in rows.Select(row => row.Node).Where(node => node != oldLeader))
                Assert.True(RowFor(json, healthy).GetProperty("reachable").GetBoolean(), $"raftctl status: {healthy} unreachable beside frozen {oldLeader}");
            Assert.True(elapsed < TimeSpan.FromSeconds(20), $"raftctl status took {elapsed.TotalSeconds:0.0} s with a frozen node");
        }
        finally
        {
            cluster.Launcher.Resume(oldLeader);
        }

        // Continued, the old leader either rejoins as a follower, or (frozen long enough for Orleans to vote
        // it dead) stops itself; either way the others keep a leader and it can be started again.
        var state = cluster.Launcher.State;
        await cluster.WaitForAsync($"{oldLeader} follows again or has stopped itself",
            rows => TestCluster.AgreedLeader(rows, ClusterSize) is not null
                    && (rows.Single(row => row.Node == oldLeader).Status?.Role == NodeRole.Follower
                        || !SiloProcess.IsRunning(state, state.Node(oldLeader))),
            ElectionLimit);
    }

    [Fact]
    public async Task A_stopped_node_restarts_with_its_log_and_catches_up()
    {
        await cluster.EnsureHealthyAsync();
        var rows = await cluster.StatusAsync();
        var leader = TestCluster.AgreedLeader(rows, ClusterSize) ?? throw new InvalidOperationException("no leader");
        var follower = rows.First(row => row.Node != leader).Node;
        // The applied index, not the last log index: a node applies an entry only after the write holding
        // it is durable, while the last index also counts entries whose write is still under way (a node
        // that just restarted and is catching up) and that a stop may rightly lose.
        var durableBefore = rows.Single(row => row.Node == follower).Status!.AppliedIndex;
        Assert.True(durableBefore > 0, "an elected leader appends an entry of its term");

        Assert.True(cluster.Launcher.Stop(follower), $"{follower} did not stop gracefully on SIGTERM");
        var state = cluster.Launcher.State;
        Assert.False(SiloProcess.IsRunning(state, state.Node(follower)));

        cluster.Launcher.Start(follower);
        await cluster.Launcher.WaitUntilAnswersAsync(follower, TestCluster.StartLimit);

        // What the node loaded from its own storage, before any leader could send it anything.
        var activation = LastActivation(File.ReadAllText(state.LogFile(follower)), follower);
        Assert.True(activation >= durableBefore, $"{follower} came back with {activation} log entries, had {durableBefore}");

        await cluster.WaitForAsync($"{follower} catches up with the leader",
            now => now.All(row => row.Reachable)
                   && TestCluster.AgreedLeader(now, ClusterSize) is { } current
                   && now.Single(row => row.Node == follower).Status!.LastLogIndex == now.Single(row => row.Node == current).Status!.LastLogIndex
                   && now.Single(row => row.Node == follower).Status!.CommitIndex == now.Single(row => row.Node == current).Status!.CommitIndex,
            ElectionLimit);
    }

    private async Task<(TimeSpan Elapsed, JsonElement Rows)> StatusJsonAsync()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var clock = Stopwatch.StartNew();
        var exitCode = await StatusCommand.RunAsync(["-w", "json", "--cluster-dir", cluster.Directory], output, error);
        clock.Stop();
        Assert.True(exitCode == 0, $"raftctl status failed ({exitCode}): {error}");
        return (clock.Elapsed, JsonDocument.Parse(output.ToString()).RootElement);
    }

    private static JsonElement RowFor(JsonElement rows, string node) =>
        rows.EnumerateArray().Single(row => row.GetProperty("node").GetString() == node);

    /// <summary>The log-entry count in the node's last "activated" line ("..., N log entries").</summary>
    private static long LastActivation(string log, string node)
    {
        var matches = ActivationLine().Matches(log).Where(match => match.Groups["node"].Value == node).ToArray();
        Assert.NotEmpty(matches);
        return long.Parse(matches[^1].Groups["entries"].Value, global::System.Globalization.CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"Raft node (?<node>\S+) activated on silo \S+: .*?(?<entries>\d+) log entries")]
    private static partial Regex ActivationLine();
}
