using System.Text;
using RaftOrleans.Simulation;

namespace RaftOrleans.Raft.Tests.Scenarios;

/// <summary>
/// A scenario's cluster and the helpers the canonical scenarios are written in: who is connected, who
/// leads, how many nodes applied an index, and <see cref="One"/> (propose a command at the leader and
/// wait until enough nodes applied it). Everything runs on <see cref="SimCluster"/>, whose safety checker
/// throws on the first violated property after every step, so every scenario also checks Election
/// Safety, Log Matching, Leader Completeness and State Machine Safety throughout.
/// </summary>
internal sealed class Scenario
{
    /// <summary>The simulator's election timeout E, in ticks (heartbeats every 2 ticks, messages take 1).</summary>
    public const int E = 10;

    private readonly HashSet<string> _disconnected = new();
    private int _commands;

    /// <param name="tune">Changes to the simulator's default options, applied to every node.</param>
    public Scenario(int nodes, int seed, Func<RaftOptions, RaftOptions>? tune = null)
    {
        Ids = Enumerable.Range(1, nodes).Select(i => $"n{i}").ToArray();
        var ids = Ids;
        Cluster = new SimCluster(Ids, seed, id => (tune ?? (o => o))(SimCluster.DefaultOptions(id, ids)));
        Random = new Random(seed * 7919 + 1);
    }

    public string[] Ids { get; }

    public SimCluster Cluster { get; }

    /// <summary>The scenario's own choices (which node to cut, when), seeded like the cluster.</summary>
    public Random Random { get; }

    public SimNode this[string id] => Cluster[id];

    /// <summary>Live nodes that are not cut off.</summary>
    public IReadOnlyList<string> Connected => Ids.Where(id => Cluster[id].IsUp && !_disconnected.Contains(id)).ToList();

    public bool IsDisconnected(string id) => _disconnected.Contains(id);

    /// <summary>Cuts each node off from every other node (both ways).</summary>
    public void Disconnect(params string[] ids)
    {
        foreach (var id in ids) _disconnected.Add(id);
        ApplyLinks();
    }

    public void Connect(params string[] ids)
    {
        foreach (var id in ids) _disconnected.Remove(id);
        ApplyLinks();
    }

    public void ConnectAll() => Connect(Ids);

    private void ApplyLinks()
    {
        if (_disconnected.Count == 0)
        {
            Cluster.Heal();
            return;
        }
        var groups = new List<IReadOnlyList<string>> { Ids.Where(id => !_disconnected.Contains(id)).ToArray() };
        groups.AddRange(_disconnected.Order().Select(id => (IReadOnlyList<string>)new[] { id }));
        Cluster.Partition(groups.ToArray());
    }

    public void Tick(int ticks = 1) => Cluster.Run(ticks);

    /// <summary>The leader of the newest term among <paramref name="among"/>, provided none of them has
    /// moved to a later term; null when there is none.</summary>
    public SimNode? LeaderAmong(IEnumerable<string> among)
    {
        var nodes = among.Select(id => Cluster[id]).Where(n => n.IsUp).ToList();
        var leader = nodes.Where(n => n.Raft!.Role == Role.Leader).MaxBy(n => n.Raft!.Term);
        if (leader is null || nodes.Any(n => n.Raft!.Term > leader.Raft!.Term)) return null;
        return leader;
    }

    /// <summary>Ticks until the connected nodes (or <paramref name="among"/>) have one current leader.</summary>
    public SimNode CheckOneLeader(IReadOnlyList<string>? among = null, int maxTicks = 30 * E)
    {
        SimNode? leader = null;
        var found = Cluster.RunUntil(() => (leader = LeaderAmong(among ?? Connected)) is not null, maxTicks);
        Assert.True(found, $"no leader among {string.Join(",", among ?? Connected)} within {maxTicks} ticks: {Describe()}");
        return leader!;
    }

    /// <summary>Asserts that none of <paramref name="among"/> is a leader.</summary>
    public void CheckNoLeader(IEnumerable<string> among)
    {
        var leaders = among.Where(id => Cluster[id].Raft?.Role == Role.Leader).ToList();
        Assert.True(leaders.Count == 0, $"unexpected leader {string.Join(",", leaders)}: {Describe()}");
    }

    public string NewCommand(string prefix = "c") => $"{prefix}{++_commands}";

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(LogEntry entry) => Encoding.UTF8.GetString(entry.Data);

    /// <summary>How many nodes applied an entry at <paramref name="index"/> (in their current or last
    /// incarnation), and its command; asserts they all applied the same one.</summary>
    public (int Count, string? Command) NCommitted(long index)
    {
        var count = 0;
        string? command = null;
        foreach (var node in Cluster.Nodes)
        {
            if (node.Applied.Count < index) continue;
            var entry = node.Applied[(int)index - 1];
            Assert.Equal(index, entry.Index);
            var text = Text(entry);
            if (count > 0) Assert.True(text == command, $"{node.Id} applied {text} at {index}, another node {command}");
            command = text;
            count++;
        }
        return (count, command);
    }

    /// <summary>
    /// Proposes <paramref name="command"/> at the current leader and waits until at least
    /// <paramref name="expectedServers"/> nodes applied it; with <paramref name="retry"/>, proposes again
    /// when a leader change lost it. Returns its index; fails when the deadline passes.
    /// </summary>
    public long One(string command, int expectedServers, bool retry = true, IReadOnlyList<string>? among = null,
        int maxTicks = 40 * E)
    {
        var deadline = Cluster.Time + maxTicks;
        while (Cluster.Time < deadline)
        {
            var leader = LeaderAmong(among ?? Connected);
            if (leader is null || Cluster.Propose(leader.Id, Bytes(command)) is not { IsAccepted: true } result)
            {
                Cluster.Tick();
                continue;
            }
            var waitUntil = Math.Min(deadline, Cluster.Time + 6 * E);
            while (Cluster.Time < waitUntil)
            {
                var (count, applied) = NCommitted(result.Index);
                if (count > 0 && applied != command) break; // another entry won that index
                if (count >= expectedServers) return result.Index;
                Cluster.Tick();
            }
            Assert.True(retry, $"{command} proposed at {result.Index} did not reach {expectedServers} servers: {Describe()}");
        }
        throw new Xunit.Sdk.XunitException(
            $"{command} did not reach agreement on {expectedServers} servers within {maxTicks} ticks: {Describe()}");
    }

    /// <summary>Ticks until every live node has applied everything up to <paramref name="index"/>.</summary>
    public void WaitAllApplied(long index, int maxTicks = 40 * E)
    {
        var done = Cluster.RunUntil(() => Cluster.Nodes.All(n => n.IsUp && n.Raft!.AppliedIndex >= index), maxTicks);
        Assert.True(done, $"not every node applied {index} within {maxTicks} ticks: {Describe()}");
    }

    /// <summary>The commands of a node's log, in order.</summary>
    public IReadOnlyList<string> CommandsIn(SimNode node) =>
        Enumerable.Range(1, (int)node.LastIndex).Select(i => node.EntryAt(i)!).Where(e => e.Kind == EntryKind.Command)
            .Select(Text).ToList();

    public string Describe() => $"t={Cluster.Time} " + string.Join(", ", Ids.Select(id =>
    {
        var node = Cluster[id];
        if (node.Raft is not { } raft) return $"{id}:down";
        var cut = _disconnected.Contains(id) ? "(cut)" : "";
        return $"{id}{cut}:{raft.Role}/t{raft.Term}/c{raft.CommitIndex}/a{raft.AppliedIndex}/l{raft.LastLogIndex}";
    }));
}
