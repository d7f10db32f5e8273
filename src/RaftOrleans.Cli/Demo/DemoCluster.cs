using System.Diagnostics;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Contracts;
using RaftOrleans.Hosting.Client;
using RaftOrleans.KeyValue;
using RaftOrleans.KeyValue.Encoding;

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

    public void Kill(string node)
    {
        launcher.Kill(node);
        _up.Remove(node);
    }

    /// <summary>Sets network faults between the nodes through the console's own fault command.</summary>
    public async Task<bool> FaultAsync(string verb, params string[] arguments)
    {
        var code = await FaultCommand.RunAsync(verb, [.. arguments, "--cluster-dir", launcher.ClusterDirectory], output, output);
        return code == 0;
    }

    /// <summary>The status of every node the demo believes is running.</summary>
    public async Task<IReadOnlyList<NodeStatusRow>> StatusAsync()
    {
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
        var leaders = rows.Where(r => r.Status?.Role == "leader").Select(r => r.Status!).ToList();
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
            if (rows.FirstOrDefault(r => r.Status?.Role == "leader") is { Status: { } leader }) return leader;
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
    /// <paramref name="limit"/>; returns how many were applied and how many have an unknown outcome.
    /// <paramref name="justBefore"/> (say, crashing the other nodes) runs once the client is connected, right
    /// before the puts leave: a leader that lost its majority steps down after about an election timeout
    /// (check-quorum), so commands meant to reach such a leader must not wait for a client to connect.</summary>
    public async Task<(int Applied, int Unknown)> SubmitAsync(string leader, int count, TimeSpan limit, Action? justBefore = null)
    {
        var endpoints = launcher.State.Endpoints();
        var settings = (endpoints with { Nodes = endpoints.Nodes.Where(n => n.Node == leader).ToArray() }).ClientSettings();
        await using var client = await ClusterClientFactory.ConnectAsync(settings, cancellation);
        var grain = client.Client.GetGrain<IRaftNodeGrain>(leader);
        justBefore?.Invoke();
        var applied = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => ProposeOneAsync(grain, limit)));
        return (applied.Count(a => a), applied.Count(a => !a));
    }

    /// <summary>True when applied; false when the outcome is unknown (no answer in time, or refused).</summary>
    private async Task<bool> ProposeOneAsync(IRaftNodeGrain grain, TimeSpan limit)
    {
        var number = Interlocked.Increment(ref _commandCounter);
        var command = KvCommandCodec.Encode(KvCommand.Unsessioned(new PutOperation($"demo-{number}", $"value-{number}")));
        try
        {
            var reply = await grain.Propose(command).WaitAsync(limit, cancellation);
            return reply.Status == ProposeStatus.Applied;
        }
        catch (Exception e) when (e is TimeoutException or OrleansException)
        {
            return false;
        }
    }

    /// <summary>The committed log of <paramref name="node"/> from <paramref name="fromIndex"/>, as (index, term).</summary>
    public async Task<IReadOnlyList<(long Index, long Term)>> LogTermsAsync(string node, long fromIndex, int count)
    {
        var endpoints = launcher.State.Endpoints();
        var settings = (endpoints with { Nodes = endpoints.Nodes.Where(n => n.Node == node).ToArray() }).ClientSettings();
        await using var client = await ClusterClientFactory.ConnectAsync(settings, cancellation);
        var entries = await client.Client.GetGrain<IRaftNodeGrain>(node).ReadCommittedLog(fromIndex, count)
            .WaitAsync(TimeSpan.FromSeconds(5), cancellation);
        return entries.Select(e => (e.Index, e.Term)).ToList();
    }
}
