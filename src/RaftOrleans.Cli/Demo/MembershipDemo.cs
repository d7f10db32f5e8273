using RaftOrleans.Cli.Cluster;
using RaftOrleans.Cli.Kv;
using RaftOrleans.Cli.Membership;
using RaftOrleans.Client;
using RaftOrleans.Client.Connections;
using RaftOrleans.Contracts;
using RaftOrleans.History;
using RaftOrleans.History.Checker;
using RaftOrleans.Launcher;
using static RaftOrleans.Cli.Membership.MembershipClient;

namespace RaftOrleans.Cli.Demo;

/// <summary>
/// The demo's membership scenario, after the proposal's: a one-node cluster grows to five by `member add`,
/// then, while clients write, a killed node is replaced by a fresh one, the leader is moved and the cluster
/// shrinks back to three; the clients' history must be linearizable. Each step checked like the others.
/// </summary>
public sealed class MembershipDemo(ClusterLauncher launcher, TextWriter output, Action<DemoStep> record, CancellationToken cancellation)
{
    private const string Scenario = "Membership";
    private static readonly TimeSpan ChangeLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(60);

    public async Task RunAsync(int basePort)
    {
        output.WriteLine();
        output.WriteLine($"=== {Scenario}");
        Narrate("a fresh cluster of one node: n1 alone is a majority of one");
        launcher.Up(new UpOptions { Nodes = 1, Fresh = true, BasePort = basePort, SiloOverrides = DemoCommand.SiloOverrides });
        var alone = await LeaderAsync();
        if (!await CheckAsync("start n1 alone", "n1 leads", alone is null ? "no leader" : $"{alone.Node} leads in term {alone.Term}", alone?.Node == "n1"))
            return;

        foreach (var node in new[] { "n2", "n3", "n4", "n5" })
        {
            Narrate($"cluster add {node} (a new silo on fresh data), then member add {node}: a learner first, promoted once caught up");
            await StartJoinerAsync(node);
            if (!await ChangeStepAsync($"add {node}", MembershipChangeKind.AddLearner, node, v => IsMember(v, node))) return;
            if (!await ChangeStepAsync($"promote {node}", MembershipChangeKind.Promote, node, v => IsVoter(v, node))) return;
        }

        var history = Path.Combine(launcher.ClusterDirectory, "membership-history.jsonl");
        Narrate("clients start writing (raftctl load, 4 clients) and go on through every step below");
        using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var loadOutput = new StringWriter();
        var load = LoadCommand.RunAsync(["--clients", "4", "--seconds", "600", "--keys", "4", "--history", history, "--seed", "7",
            "--cluster-dir", launcher.ClusterDirectory], loadOutput, loadOutput, stopLoad.Token);
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
            Narrate("kill -9 n2, start n6 on fresh data, member replace n2 n6: add n6, catch up, promote, remove n2");
            launcher.Kill("n2");
            await StartJoinerAsync("n6");
            if (!await ChangeStepAsync("replace: add n6", MembershipChangeKind.AddLearner, "n6", v => IsMember(v, "n6"))) return;
            if (!await ChangeStepAsync("replace: promote n6", MembershipChangeKind.Promote, "n6", v => IsVoter(v, "n6"))) return;
            if (!await ChangeStepAsync("replace: remove n2", MembershipChangeKind.Remove, "n2", v => !IsMember(v, "n2"))) return;

            var before = await LeaderAsync();
            var target = new[] { "n3", "n1" }.First(n => n != before?.Node);
            Narrate($"move-leader {target}: the leader hands over (§3.10)");
            var moved = await Client(c => c.MoveLeaderAsync(target, ChangeLimit, cancellation));
            if (!await CheckAsync($"move-leader {target}", $"{target} leads", moved.Message, moved.Result == ChangeResult.Done)) return;

            Narrate("shrink back to three: member remove n4, member remove n6");
            foreach (var node in new[] { "n4", "n6" })
                if (!await ChangeStepAsync($"remove {node}", MembershipChangeKind.Remove, node, v => !IsMember(v, node))) return;
            await Task.Delay(TimeSpan.FromSeconds(2), cancellation);
        }
        finally
        {
            await stopLoad.CancelAsync();
            await load;
        }

        var events = HistoryJson.ReadFile(history);
        var writes = events.Count(e => e.Type == HistoryEventType.Ok && e.Function != HistoryFunction.Get);
        var verdict = LinearizabilityChecker.Check(events, TimeSpan.FromSeconds(60));
        await CheckAsync("clients' history", "linearizable, writes acknowledged throughout",
            $"{verdict.Verdict.ToString().ToLowerInvariant()}, {writes} writes acknowledged", verdict.Verdict == CheckVerdict.Linearizable && writes > 0);
    }

    /// <summary>Adds a joining node's silo and waits until it answers. A silo that Orleans' membership voted dead
    /// while it started (starved of CPU on a busy machine: its first connections timed out) stops itself; like a
    /// crashed node it is started again from its data, up to three times. That is no step of the scenario.</summary>
    private async Task StartJoinerAsync(string node)
    {
        launcher.Add(node);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await launcher.WaitUntilAnswersAsync(node, TimeSpan.FromSeconds(90), cancellation);
                return;
            }
            catch (LauncherException) when (attempt < 3 && DemoCluster.DeclaredDeadSinceStart(launcher.State.LogFile(node)))
            {
                Narrate($"{node} was declared dead by Orleans' membership while it started (starved of CPU?) and stopped itself; starting it again");
                launcher.Start(node);
            }
        }
    }

    private async Task<bool> ChangeStepAsync(string step, MembershipChangeKind kind, string node, Func<MembershipView, bool> achieved)
    {
        var outcome = await Client(c => c.ChangeAsync(kind, node, achieved, ChangeLimit, CatchUpLimit, cancellation));
        return await CheckAsync(step, "committed", outcome.Message, outcome.Result == ChangeResult.Done);
    }

    private async Task<ChangeOutcome> Client(Func<MembershipClient, Task<ChangeOutcome>> action)
    {
        await using var channel = new OrleansNodeChannel(launcher.State.Endpoints());
        return await action(new MembershipClient(channel));
    }

    private async Task<NodeStatus?> LeaderAsync()
    {
        try
        {
            var rows = await launcher.WaitForLeaderAsync(TimeSpan.FromSeconds(60), cancellation);
            return rows.FirstOrDefault(r => r.Status?.Role == NodeRole.Leader)?.Status;
        }
        catch (LauncherException)
        {
            return null;
        }
    }

    private void Narrate(string text) => output.WriteLine($"--> {text}");

    private async Task<bool> CheckAsync(string step, string expected, string observed, bool passed)
    {
        record(new DemoStep(Scenario, step, expected, observed, passed));
        output.WriteLine($"    {(passed ? "ok  " : "FAIL")} expected: {expected}; observed: {observed}");
        var state = launcher.State;
        var running = state.Endpoints() with
        {
            Nodes = state.Endpoints().Nodes.Where(n => SiloProcess.IsRunning(state, state.Node(n.Node))).ToArray(),
        };
        StatusTable.Write(output, await NodeStatusReader.ReadAsync(running, NodeStatusReader.DefaultTimeout, cancellation));
        output.WriteLine();
        return passed;
    }
}
