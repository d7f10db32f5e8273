using System.Globalization;

namespace RaftOrleans.Contracts;

/// <summary>
/// The cluster-wide table of injected network faults between Raft nodes (`raftctl partition|isolate|drop|
/// delay|heal`). It governs Raft peer traffic only (<see cref="IRaftNodeGrain.Deliver"/>), never client
/// calls. Every silo holds a copy; the newest <see cref="Version"/> wins everywhere (see
/// RaftOrleans.Grains/Faults/README.md). Immutable: every edit returns a new table.
/// </summary>
[GenerateSerializer, Immutable, Alias("RaftOrleans.NetworkFaultTable")]
public sealed record NetworkFaultTable(
    [property: Id(0)] long Version,
    /// <summary>Symmetric partition: no delivery between nodes named in different groups. A node named in
    /// no group is not partitioned from anybody. Empty: no partition.</summary>
    [property: Id(1)] string[][] PartitionGroups,
    /// <summary>One-way cuts: <see cref="LinkCut.From"/> cannot reach <see cref="LinkCut.To"/>.</summary>
    [property: Id(2)] LinkCut[] OneWayCuts,
    /// <summary>Nodes that can neither send to nor receive from any peer.</summary>
    [property: Id(3)] string[] Isolated,
    [property: Id(4)] NodeDrop[] Drops,
    [property: Id(5)] NodeDelay[] Delays)
{
    /// <summary>No faults, version 0: what a silo starts with before it has heard from any peer.</summary>
    public static readonly NetworkFaultTable None = new(0, [], [], [], [], []);

    public bool IsEmpty => PartitionGroups.Length == 0 && OneWayCuts.Length == 0 && Isolated.Length == 0 && Drops.Length == 0 && Delays.Length == 0;

    /// <summary>Replaces the symmetric partition (a node may appear in one group only).</summary>
    public NetworkFaultTable WithPartition(IReadOnlyList<IReadOnlyList<string>> groups)
    {
        var named = groups.SelectMany(g => g).ToArray();
        if (groups.Count < 2 || groups.Any(g => g.Count == 0))
            throw new ArgumentException("a partition needs at least two non-empty groups");
        var twice = named.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new ArgumentException($"node {twice.Key} is named in more than one group");
        return this with { PartitionGroups = groups.Select(g => g.ToArray()).ToArray() };
    }

    public NetworkFaultTable WithOneWayCut(string from, string to)
    {
        if (from == to) throw new ArgumentException($"a one-way cut needs two different nodes (got {from} twice)");
        var cut = new LinkCut(from, to);
        return OneWayCuts.Contains(cut) ? this : this with { OneWayCuts = [.. OneWayCuts, cut] };
    }

    public NetworkFaultTable WithIsolated(string node) =>
        Isolated.Contains(node, StringComparer.Ordinal) ? this : this with { Isolated = [.. Isolated, node] };

    /// <summary>Drops each message to or from <paramref name="node"/> with this probability; 0 removes the rule.</summary>
    public NetworkFaultTable WithDrop(string node, double probability)
    {
        if (!(probability is >= 0 and <= 1)) throw new ArgumentException($"a drop probability must be in [0, 1] (got {probability})");
        var others = Drops.Where(d => d.Node != node);
        return this with { Drops = probability == 0 ? others.ToArray() : [.. others, new NodeDrop(node, probability)] };
    }

    /// <summary>Delays each batch to or from <paramref name="node"/> by delay ± jitter; 0 ms removes the rule.</summary>
    public NetworkFaultTable WithDelay(string node, int delayMs, int jitterMs)
    {
        if (delayMs < 0 || jitterMs < 0 || jitterMs > delayMs)
            throw new ArgumentException($"a delay needs 0 <= jitter <= delay (got {delayMs} ms ± {jitterMs} ms)");
        var others = Delays.Where(d => d.Node != node);
        return this with { Delays = delayMs == 0 ? others.ToArray() : [.. others, new NodeDelay(node, delayMs, jitterMs)] };
    }

    /// <summary>True when nothing from <paramref name="from"/> may reach <paramref name="to"/>.</summary>
    public bool Blocks(string from, string to)
    {
        if (Isolated.Contains(from, StringComparer.Ordinal) || Isolated.Contains(to, StringComparer.Ordinal)) return true;
        if (OneWayCuts.Contains(new LinkCut(from, to))) return true;
        var fromGroup = GroupOf(from);
        var toGroup = GroupOf(to);
        return fromGroup >= 0 && toGroup >= 0 && fromGroup != toGroup;
    }

    /// <summary>The probability that one message from <paramref name="from"/> to <paramref name="to"/> is
    /// lost: each end's drop rule applies independently.</summary>
    public double DropProbability(string from, string to)
    {
        var survives = 1.0;
        foreach (var drop in Drops)
            if (drop.Node == from || drop.Node == to) survives *= 1 - drop.Probability;
        return 1 - survives;
    }

    /// <summary>The delay of one batch from <paramref name="from"/> to <paramref name="to"/>: the sum of
    /// both ends' delays, each drawn uniformly from [delay - jitter, delay + jitter].</summary>
    public TimeSpan SampleDelay(string from, string to, Random random)
    {
        var total = 0.0;
        foreach (var delay in Delays)
            if (delay.Node == from || delay.Node == to)
                total += delay.DelayMs + (random.NextDouble() * 2 - 1) * delay.JitterMs;
        return TimeSpan.FromMilliseconds(Math.Max(0, total));
    }

    private int GroupOf(string node)
    {
        for (var i = 0; i < PartitionGroups.Length; i++)
            if (PartitionGroups[i].Contains(node, StringComparer.Ordinal)) return i;
        return -1;
    }

    /// <summary>One line per rule, for people: "partition n1,n2 | n3,n4,n5", "n1 -/-> n2 (one-way)", ...;
    /// empty when there are no faults.</summary>
    public IReadOnlyList<string> Describe()
    {
        var lines = new List<string>();
        if (PartitionGroups.Length > 0) lines.Add("partition " + string.Join(" | ", PartitionGroups.Select(g => string.Join(",", g))));
        lines.AddRange(OneWayCuts.Select(c => $"one-way {c.From} -/-> {c.To}"));
        lines.AddRange(Isolated.Select(n => $"isolated {n}"));
        lines.AddRange(Drops.Select(d => $"drop {d.Node} {d.Probability.ToString("0.###", CultureInfo.InvariantCulture)}"));
        lines.AddRange(Delays.Select(d => d.JitterMs == 0 ? $"delay {d.Node} {d.DelayMs}ms" : $"delay {d.Node} {d.DelayMs}ms ±{d.JitterMs}ms"));
        return lines;
    }

    public string Summary => IsEmpty ? "none" : string.Join("; ", Describe());
}

[GenerateSerializer, Immutable, Alias("RaftOrleans.LinkCut")]
public sealed record LinkCut([property: Id(0)] string From, [property: Id(1)] string To);

[GenerateSerializer, Immutable, Alias("RaftOrleans.NodeDrop")]
public sealed record NodeDrop([property: Id(0)] string Node, [property: Id(1)] double Probability);

[GenerateSerializer, Immutable, Alias("RaftOrleans.NodeDelay")]
public sealed record NodeDelay([property: Id(0)] string Node, [property: Id(1)] int DelayMs, [property: Id(2)] int JitterMs);

/// <summary>The fault table of one silo; key = the node id (= silo name), pinned to that silo. Control
/// plane only: these calls are never subject to the faults they carry.</summary>
public interface INetworkFaultsGrain : IGrainWithStringKey
{
    [ResponseTimeout("00:00:02")]
    Task<NetworkFaultTable> Get();

    /// <summary>Adopts <paramref name="table"/> if it is newer than the silo's; returns the table in force.</summary>
    [ResponseTimeout("00:00:02")]
    Task<NetworkFaultTable> Set(NetworkFaultTable table);
}
