using RaftOrleans.Contracts;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Client.Connections;
using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

public sealed class FaultsSqliteCluster() : TestCluster(basePort: 23700)
{
    protected override UpOptions Options => new() { Nodes = 3 };
}

/// <summary>`raftctl isolate|partition|heal` through the console's command entry point, against real silo
/// processes: the fault table reaches every silo and moves the leadership as a real partition would.</summary>
[Collection(RealProcesses.Name)]
public sealed class NetworkFaultTests(FaultsSqliteCluster cluster) : IClassFixture<FaultsSqliteCluster>
{
    private static readonly TimeSpan ElectionLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Isolating_or_partitioning_the_leader_moves_leadership_and_heal_reunites_the_cluster()
    {
        await cluster.EnsureHealthyAsync();
        var leader = TestCluster.AgreedLeader(await cluster.StatusAsync(), 3) ?? throw new InvalidOperationException("no leader");

        await RaftctlAsync("isolate", leader);
        var rows = await WaitForLeaderOtherThanAsync(leader);
        Assert.All(rows.Where(row => row.Reachable), row => Assert.Equal($"isolated {leader}", row.Status!.Faults));
        var status = await StatusTextAsync();
        Assert.Contains($"network faults: isolated {leader}", status);

        await RaftctlAsync("heal");
        rows = await WaitForAllFollowingAsync();
        var second = rows.Single(row => row.Status!.Role == NodeRole.Leader).Node;
        Assert.All(rows, row => Assert.Equal("none", row.Status!.Faults));

        var others = rows.Select(row => row.Node).Where(node => node != second).ToArray();
        await RaftctlAsync("partition", second, string.Join(",", others));
        await WaitForLeaderOtherThanAsync(second);

        await RaftctlAsync("heal");
        await WaitForAllFollowingAsync();
    }

    private async Task RaftctlAsync(string verb, params string[] words)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await FaultCommand.RunAsync(verb, [.. words, "--cluster-dir", cluster.Directory], output, error);
        Assert.True(exitCode == 0, $"raftctl {verb} {string.Join(" ", words)} exited {exitCode}: {output}{error}");
        Assert.Contains("set on n1,n2,n3", output.ToString());
    }

    private async Task<string> StatusTextAsync()
    {
        var output = new StringWriter();
        var exitCode = await StatusCommand.RunAsync(["--cluster-dir", cluster.Directory], output, new StringWriter());
        Assert.Equal(0, exitCode);
        return output.ToString();
    }

    /// <summary>A node other than <paramref name="cutOff"/> leads and the other connected node follows it.</summary>
    private Task<IReadOnlyList<NodeStatusRow>> WaitForLeaderOtherThanAsync(string cutOff) =>
        cluster.WaitForAsync($"a new leader without {cutOff}",
            rows => rows.FirstOrDefault(row => row.Node != cutOff && row.Status?.Role == NodeRole.Leader) is { } leader
                    && rows.Count(row => row.Node != cutOff && row.Status?.Leader == leader.Node && row.Status.Term == leader.Status!.Term) == 2,
            ElectionLimit);

    private Task<IReadOnlyList<NodeStatusRow>> WaitForAllFollowingAsync() =>
        cluster.WaitForAsync("all three nodes follow one leader in one term",
            rows => rows.All(row => row.Reachable)
                    && rows.Count(row => row.Status!.Role == NodeRole.Leader) == 1
                    && rows.Select(row => (row.Status!.Leader, row.Status.Term)).Distinct().Count() == 1,
            ElectionLimit);
}
