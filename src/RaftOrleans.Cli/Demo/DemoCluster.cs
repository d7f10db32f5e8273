using System.Diagnostics;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Client.Connections;
using RaftOrleans.Contracts;
using RaftOrleans.KeyValue;
using RaftOrleans.KeyValue.Encoding;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Demo;

/// <summary>
/// The demo's view of its own cluster of silo processes: which nodes it started or killed, their status,
/// and commands submitted to the leader. Every wait has a deadline; what was seen at the deadline is
/// what the step reports.
/// </summary>
public sealed class DemoCluster(ClusterLauncher launcher, TextWriter output, CancellationToken cancellation)
{
    public static readonly string[] AllNodes = ["n1", "n2", "n3", "n4", "n5"];
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromMilliseconds(1500);
    private readonly HashSet<string> _up = new();
    private int _commandCounter;

    public IReadOnlyCollection<string> Up => _up;

    public int Majority => AllNodes.Length / 2 + 1;

    public void Started(params string[] nodes)
    {
        foreach (var node in nodes) _up.Add(node);
    }

    public void Start(string node)
    {
        launcher.Start(node);
        _up.Add(node);
    }

    /// <summary>kill -9. A node that is already down (it stopped by itself after membership voted it dead, and
    /// the next status read has not started it again) stays down: the crash the step wants has happened.</summary>
    public void Kill(string node)
    {
        try
        {
            launcher.Kill(node);
        }
        catch (LauncherException) when (launcher.State is var state && !SiloProcess.IsRunning(state, state.Node(node)))
        {
            output.WriteLine($"--> {node} is already down (it stopped by itself); nothing to kill");
        }

        _up.Remove(node);
    }

    /// <summary>Sets network faults between the nodes through the console's own fault command.</summary>
    public async Task<bool> FaultAsync(string verb, params string[] arguments)
    {
        var code = await FaultCommand.RunAsync(verb, [.. arguments, "--cluster-dir", launcher.ClusterDirectory], output, output);
        return code == 0;
    }

    /// <summary>
    /// Starts again every node the demo believes is running whose silo was declared dead by Orleans'
    /// membership. With the fast failure detection the silos use (three missed probes of 2 s), a silo starved of
    /// CPU is voted dead, and stops itself; on a busy machine this happens to a silo that is just starting.
    /// Its exit can take long (its gateway already refuses connections), so it is killed rather than waited
    /// for. That is no step of a scenario: the node restarts from its storage, as a crashed node would.
    /// </summary>
    private void RestartSelfStopped()
    {
        var state = launcher.State;
        foreach (var node in _up.ToList())
        {
            var running = SiloProcess.IsRunning(state, state.Node(node));
            if (running && !DeclaredDeadSinceStart(state.LogFile(node))) continue;
            output.WriteLine($"--> {node} was declared dead by Orleans' membership (starved of CPU?) and stops itself; starting it again");
            if (running)
            {
                try
                {
                    launcher.Kill(node);
                }
                catch (LauncherException)
                {
                    // It exited by itself in the meantime.
                }
            }
            try
            {
                launcher.Start(node);
            }
            catch (LauncherException e)
            {
                // A silo just killed leaves its ports in TIME_WAIT for a while: the next status read tries again.
                output.WriteLine($"--> {node} cannot start yet ({e.Message}); trying again at the next status read");
            }
        }
    }

    /// <summary>Whether the silo's log, since the launcher's last start line, says membership declared it dead.</summary>
    internal static bool DeclaredDeadSinceStart(string logFile)
    {
        if (!File.Exists(logFile)) return false;
        using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(Math.Max(0, stream.Length - LogTailBytes), SeekOrigin.Begin);
        var tail = new StreamReader(stream).ReadToEnd();
        var started = tail.LastIndexOf(SiloProcess.StartLinePrefix, StringComparison.Ordinal);
        return tail.IndexOf(DeclaredDeadLine, Math.Max(0, started), StringComparison.Ordinal) >= 0;
    }

    // What Orleans' MembershipTableManager logs when it learns its silo was voted dead, just before it stops.
    private const string DeclaredDeadLine = "I have been told I am dead";
    private const int LogTailBytes = 256 * 1024;

    /// <summary>The status of every node the demo believes is running (a silo that stopped by itself is
    /// started again first, see <see cref="RestartSelfStopped"/>).</summary>
    public async Task<IReadOnlyList<NodeStatusRow>> StatusAsync()
    {
        RestartSelfStopped();
        var endpoints = launcher.State.Endpoints();
        var running = endpoints with { Nodes = endpoints.Nodes.Where(n => _up.Contains(n.Node)).ToArray() };
        return running.Nodes.Count == 0 ? [] : await NodeStatusReader.ReadAsync(running, StatusTimeout, cancellation);
    }

    public async Task PrintStatusAsync()
    {
        StatusTable.Write(output, await StatusAsync());
        output.WriteLine();
    }

    /// <summary>A leader that a majority of all five nodes acknowledge (itself included), or null.</summary>
    public static NodeStatus? LeaderOf(IReadOnlyList<NodeStatusRow> rows, int majority)
    {
        var leaders = rows.Where(r => r.Status?.Role == NodeRole.Leader).Select(r => r.Status!).ToList();
        return leaders.FirstOrDefault(l => rows.Count(r => r.Status?.Leader == l.Node && r.Status.Term == l.Term) >= majority);
    }

    /// <summary>Polls until a leader backed by a majority shows up; returns it, or null at the deadline.</summary>
    public async Task<NodeStatus?> WaitForLeaderAsync(TimeSpan limit, Func<NodeStatus, bool>? acceptable = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            var leader = LeaderOf(await StatusAsync(), Majority);
            if (leader is not null && (acceptable is null || acceptable(leader))) return leader;
            await Task.Delay(250, cancellation);
        }
        return null;
    }

    /// <summary>Watches for <paramref name="period"/>; returns the leader if one appeared.</summary>
    public async Task<NodeStatus?> WatchForAnyLeaderAsync(TimeSpan period)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < period)
        {
            var rows = await StatusAsync();
            if (rows.FirstOrDefault(r => r.Status?.Role == NodeRole.Leader) is { Status: { } leader }) return leader;
            await Task.Delay(250, cancellation);
        }
        return null;
    }

    /// <summary>Polls until <paramref name="condition"/> holds over the running nodes' status rows.</summary>
    public async Task<bool> WaitUntilAsync(Func<IReadOnlyList<NodeStatusRow>, bool> condition, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (condition(await StatusAsync())) return true;
            await Task.Delay(250, cancellation);
        }
        return false;
    }

    /// <summary>Submits <paramref name="count"/> puts to <paramref name="leader"/> at once, each with
    /// <paramref name="limit"/>.</summary>
    public async Task<SubmitOutcome> SubmitAsync(string leader, int count, TimeSpan limit)
    {
        await using var client = await ConnectToAsync(leader);
        return await ProposeAllAsync(client.Client.GetGrain<IRaftNodeGrain>(leader), count, limit);
    }

    /// <summary>
    /// Cuts <paramref name="minority"/> (the leader among them) off from <paramref name="majority"/> and hands the
    /// leader <paramref name="count"/> puts at once. A leader that lost its majority leads on only until its
    /// next check-quorum (one to two election timeouts), so nothing slow may come between the cut and the
    /// puts: the client is connected and has reached the leader before the cut, the cut goes through that same
    /// client, and crashes, if any, come after (a crash costs a process signal and a wait for the exit each,
    /// more than that window on a busy machine). Whether the puts were in time shows in the outcome: a leader
    /// that had stepped down refuses them.
    /// </summary>
    public async Task<SubmitOutcome> CutOffAndSubmitAsync(string leader, IReadOnlyList<string> minority, IReadOnlyList<string> majority,
        int count, TimeSpan limit)
    {
        await using var client = await ConnectToAsync(leader);
        var grain = client.Client.GetGrain<IRaftNodeGrain>(leader);
        try
        {
            await grain.GetStatus().WaitAsync(limit, cancellation);
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            // Only a warm-up: whether the leader took the puts shows in their outcome.
        }
        var cut = await FaultCommand.ApplyAsync(client.Client, AllNodes, t => t.WithPartition([minority, majority]), limit);
        var outcome = await ProposeAllAsync(grain, count, limit);
        await cut.WriteAsync(output);
        return outcome;
    }

    private async Task<ConnectedClusterClient> ConnectToAsync(string node)
    {
        var endpoints = launcher.State.Endpoints();
        // Through the node's own gateway and nothing else: with the membership table the client took its gateways
        // from the table, which still lists silos the step has just killed as active until Orleans declares them
        // dead, and one run of the demo spent its whole 8 s connect limit there after "crash two followers".
        var settings = (endpoints with { Nodes = endpoints.Nodes.Where(n => n.Node == node).ToArray(), Clustering = null }).ClientSettings();
        return await ClusterClientFactory.ConnectAsync(settings, cancellation);
    }

    private async Task<SubmitOutcome> ProposeAllAsync(IRaftNodeGrain grain, int count, TimeSpan limit)
    {
        var outcomes = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => ProposeOneAsync(grain, limit)));
        return new SubmitOutcome(outcomes.Count(o => o == Outcome.Applied), outcomes.Count(o => o == Outcome.Unknown),
            outcomes.Count(o => o == Outcome.Refused));
    }

    private enum Outcome { Applied, Unknown, Refused }

    /// <summary>Unknown: no answer in time, or the leader's own Unknown (appended, not committed). Refused:
    /// nothing was appended (not the leader, busy, stopping) or the entry was already overwritten.</summary>
    private async Task<Outcome> ProposeOneAsync(IRaftNodeGrain grain, TimeSpan limit)
    {
        var number = Interlocked.Increment(ref _commandCounter);
        var command = KvCommandCodec.Encode(KvCommand.Unsessioned(new PutOperation($"demo-{number}", $"value-{number}")));
        try
        {
            var reply = await grain.Propose(command).WaitAsync(limit, cancellation);
            return reply.Status switch
            {
                ClientReplyStatus.Applied => Outcome.Applied,
                ClientReplyStatus.Unknown => Outcome.Unknown,
                _ => Outcome.Refused,
            };
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            return Outcome.Unknown;
        }
    }

    /// <summary>The committed log of <paramref name="node"/> from <paramref name="fromIndex"/>, as (index, term).
    /// A node that cannot be read (restarting, declared dead, an answer the client could not decode) is asked
    /// again until <paramref name="limit"/>; after that the log is reported empty, so the step fails with what
    /// was seen instead of the demo stopping. (Three attempts a second apart were too few on a loaded machine:
    /// a node restarted there answers Orleans calls only some seconds after its silo is up.)</summary>
    public async Task<IReadOnlyList<(long Index, long Term)>> LogTermsAsync(string node, long fromIndex, int count, TimeSpan limit)
    {
        var clock = Stopwatch.StartNew();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var client = await ConnectToAsync(node);
                var entries = await client.Client.GetGrain<IRaftNodeGrain>(node).ReadCommittedLog(fromIndex, count)
                    .WaitAsync(TimeSpan.FromSeconds(5), cancellation);
                return entries.Select(e => (e.Index, e.Term)).ToList();
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                var last = clock.Elapsed >= limit;
                output.WriteLine($"--> could not read {node}'s log, attempt {attempt} ({e.GetType().Name}: {e.Message})" +
                                 (last ? $"; counting it as empty after {clock.Elapsed.TotalSeconds:0} s" : "; asking again"));
                if (last) return [];
                await Task.Delay(TimeSpan.FromSeconds(1), cancellation);
            }
        }
    }
}

/// <summary>What became of commands handed to a leader: applied, outcome unknown (may still apply), or
/// refused (certainly not applied).</summary>
public sealed record SubmitOutcome(int Applied, int Unknown, int Refused)
{
    public override string ToString() => $"{Applied} applied, {Unknown} unknown, {Refused} refused";
}
