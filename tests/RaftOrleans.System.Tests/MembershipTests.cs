using System.Text.Json;
using RaftOrleans.Cli.Kv;
using RaftOrleans.Cli.Membership;
using RaftOrleans.Client;
using RaftOrleans.Contracts;
using RaftOrleans.History;
using RaftOrleans.History.Checker;
using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

public sealed class GrowShrinkCluster() : TestCluster(basePort: 25300)
{
    protected override UpOptions Options => new() { Nodes = 3 };
}

public sealed class ReplaceCluster() : TestCluster(basePort: 25500)
{
    protected override UpOptions Options => new() { Nodes = 3 };
}

/// <summary>Membership changes from the console on real silo processes while `raftctl load` writes: the
/// history it records must be linearizable, with final reads that would expose a lost write.</summary>
[Collection(RealProcesses.Name)]
public sealed class GrowShrinkTests(GrowShrinkCluster cluster) : IClassFixture<GrowShrinkCluster>
{
    [Fact]
    public async Task Growing_from_three_to_five_voters_and_shrinking_back_under_load_keeps_the_history_linearizable()
    {
        await cluster.EnsureHealthyAsync();
        var history = await MembershipRun.UnderLoadAsync(cluster, async () =>
        {
            foreach (var node in new[] { "n4", "n5" })
            {
                cluster.Launcher.Add(node);
                await cluster.Launcher.WaitUntilAnswersAsync(node, TestCluster.StartLimit);
                await MembershipRun.MemberAsync(cluster, "add", node);
            }
            Assert.Equal(["n1", "n2", "n3", "n4", "n5"], await MembershipRun.VotersAsync(cluster));
            using (var listed = JsonDocument.Parse(await MembershipRun.MemberAsync(cluster, "list", "-w", "json")))
            {
                var members = listed.RootElement.GetProperty("members").EnumerateArray().ToArray();
                Assert.Equal(["n1", "n2", "n3", "n4", "n5"], members.Select(m => m.GetProperty("name").GetString()!).Order().ToArray());
                Assert.All(members, m => Assert.False(m.GetProperty("isLearner").GetBoolean()));
                Assert.Single(members, m => m.GetProperty("isLeader").GetBoolean()
                                            && m.GetProperty("name").GetString() == listed.RootElement.GetProperty("header").GetProperty("leader").GetString());
            }
            // The load started knowing n1..n3 only; with the leader on a node added since, its writes go on
            // only if it follows the cluster as it grew. Only a leader appends, so n5's commit index moving
            // while it leads is the load's writes reaching n5.
            await MembershipRun.MoveLeaderAsync(cluster, "n5");
            var before = (await cluster.StatusAsync()).Single(r => r.Node == "n5").Status!.CommitIndex;
            await Task.Delay(TimeSpan.FromSeconds(4));
            var rows = await cluster.StatusAsync();
            var n5 = rows.Single(r => r.Node == "n5").Status!;
            Assert.True(n5.Role == NodeRole.Leader && n5.CommitIndex > before + 20,
                $"writes did not reach n5 as leader (commit {before} -> {n5.CommitIndex}): {TestCluster.Describe(rows)}");
            await MembershipRun.MoveLeaderAsync(cluster, "n1");
            foreach (var node in new[] { "n4", "n5" }) await MembershipRun.MemberAsync(cluster, "remove", node);
            Assert.Equal(["n1", "n2", "n3"], await MembershipRun.VotersAsync(cluster));
        });
        await FinalReads.AssertLinearizableAsync(cluster, history);
    }
}

[Collection(RealProcesses.Name)]
public sealed class ReplaceTests(ReplaceCluster cluster) : IClassFixture<ReplaceCluster>
{
    [Fact]
    public async Task A_killed_node_is_replaced_by_a_fresh_one_under_load_which_then_holds_every_committed_entry()
    {
        await cluster.EnsureHealthyAsync();
        var history = await MembershipRun.UnderLoadAsync(cluster, async () =>
        {
            cluster.Launcher.Kill("n2");
            cluster.Launcher.Add("n6");
            await cluster.Launcher.WaitUntilAnswersAsync("n6", TestCluster.StartLimit);
            var replaced = await MembershipRun.MemberAsync(cluster, "replace", "n2", "n6");
            Assert.Contains("step 3/3: remove n2", replaced);
            Assert.Equal(["n1", "n3", "n6"], await MembershipRun.VotersAsync(cluster));
        });
        await FinalReads.AssertLinearizableAsync(cluster, history);

        // n6 joined with an empty log: it now holds the leader's committed log, entry for entry.
        var rows = await cluster.WaitForAsync("n6 to hold the leader's commit index",
            now => TestCluster.AgreedLeader(now.Where(r => r.Node != "n2").ToArray(), 3) is { } leader
                   && now.Single(r => r.Node == "n6").Status is { } n6
                   && n6.AppliedIndex == now.Single(r => r.Node == leader).Status!.CommitIndex,
            TimeSpan.FromSeconds(30));
        var leaderNode = rows.Single(r => r.Status?.Role == NodeRole.Leader).Node;
        await using var channel = new OrleansNodeChannel(cluster.Launcher.State.Endpoints());
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var n6Status = rows.Single(r => r.Node == "n6").Status!;
        var from = Math.Max(n6Status.FirstLogIndex, rows.Single(r => r.Node == leaderNode).Status!.FirstLogIndex);
        var theirs = await channel.CallAsync("n6", g => g.ReadCommittedLog(from, 100_000), limit.Token);
        var ours = await channel.CallAsync(leaderNode, g => g.ReadCommittedLog(from, 100_000), limit.Token);
        var upTo = Math.Min(theirs.Length, ours.Length);
        Assert.True(upTo > 0 && theirs[^1].Index >= n6Status.CommitIndex, $"n6 holds {theirs.Length} entries from {from}");
        for (var i = 0; i < upTo; i++)
            Assert.True(theirs[i].Index == ours[i].Index && theirs[i].Term == ours[i].Term && theirs[i].Data.AsSpan().SequenceEqual(ours[i].Data),
                $"n6 and {leaderNode} differ at index {ours[i].Index}");
    }
}

public sealed class MoveLeaderCluster() : TestCluster(basePort: 25700)
{
    protected override UpOptions Options => new() { Nodes = 3 };
}

[Collection(RealProcesses.Name)]
public sealed class MoveLeaderTests(MoveLeaderCluster cluster) : IClassFixture<MoveLeaderCluster>
{
    [Fact]
    public async Task Leadership_moves_to_each_node_in_turn_under_load_and_the_history_stays_linearizable()
    {
        await cluster.EnsureHealthyAsync();
        var history = await MembershipRun.UnderLoadAsync(cluster, async () =>
        {
            foreach (var target in new[] { "n1", "n2", "n3", "n1" })
            {
                var output = new StringWriter();
                var error = new StringWriter();
                var exitCode = await MemberCommand.RunAsync("move-leader", [target, "--cluster-dir", cluster.Directory], output, error);
                Assert.True(exitCode == 0, $"move-leader {target} exited {exitCode}: {error}");
                var rows = await cluster.StatusAsync();
                Assert.True(rows.Single(r => r.Node == target).Status?.Role == NodeRole.Leader,
                    $"after move-leader {target}: {TestCluster.Describe(rows)}");
            }
        });
        await FinalReads.AssertLinearizableAsync(cluster, history);
    }
}

internal static class MembershipRun
{
    /// <summary>Runs `raftctl load` (4 clients) while <paramref name="changes"/> run, and stops it a few seconds after.</summary>
    public static Task<List<HistoryEvent>> UnderLoadAsync(TestCluster cluster, Func<Task> changes, params string[] loadOptions) =>
        UnderLoadAsync(cluster.Directory, ["--cluster-dir", cluster.Directory], changes, loadOptions);

    /// <summary>The same against any cluster <paramref name="target"/> names (--cluster-dir or --client-config);
    /// the history file goes to <paramref name="directory"/>.</summary>
    public static async Task<List<HistoryEvent>> UnderLoadAsync(string directory, string[] target, Func<Task> changes, params string[] loadOptions)
    {
        var file = Path.Combine(directory, $"history-{Guid.NewGuid():N}.jsonl");
        var output = new StringWriter();
        var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var load = LoadCommand.RunAsync(["--clients", "4", "--seconds", "600", "--keys", "4", "--history", file, "--seed", "12",
            .. target, .. loadOptions], output, error, stop.Token);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            await changes();
            await Task.Delay(TimeSpan.FromSeconds(3));
        }
        finally
        {
            await stop.CancelAsync();
        }

        var exitCode = await load;
        Assert.True(exitCode == 0, $"load exited {exitCode}: {error}\n{output}");
        var history = HistoryJson.ReadFile(file);
        Assert.True(history.Count(e => e.Type == HistoryEventType.Ok && e.Function != HistoryFunction.Get) > 20, $"few writes succeeded:\n{output}");
        return history;
    }

    /// <summary>Runs `raftctl member WORDS...` against the test's cluster; fails unless it exits 0. Returns its output.</summary>
    public static async Task<string> MemberAsync(TestCluster cluster, params string[] words)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await MemberCommand.RunAsync("member", [.. words, "--cluster-dir", cluster.Directory, "--catch-up-seconds", "60"], output, error);
        Assert.True(exitCode == 0, $"member {string.Join(" ", words)} exited {exitCode}: {error}\n{output}");
        return output.ToString();
    }

    /// <summary>Runs `raftctl move-leader NODE`; fails unless it exits 0.</summary>
    public static async Task MoveLeaderAsync(TestCluster cluster, string node)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await MemberCommand.RunAsync("move-leader", [node, "--cluster-dir", cluster.Directory], output, error);
        Assert.True(exitCode == 0, $"move-leader {node} exited {exitCode}: {error}");
    }

    public static async Task<string[]> VotersAsync(TestCluster cluster)
    {
        await using var channel = new OrleansNodeChannel(cluster.Launcher.State.Endpoints());
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var leader = MembershipClient.Leader(await new MembershipClient(channel).ViewsAsync(limit.Token))
                     ?? throw new InvalidOperationException("no leader");
        return leader.Members.Where(m => m.Voter).Select(m => m.Node).Order(StringComparer.Ordinal).ToArray();
    }
}
