using System.Text;
using RaftOrleans.Raft;

namespace RaftOrleans.Simulation;

/// <summary>What a seeded random run does to the cluster.</summary>
public sealed record RandomRunOptions
{
    public int Nodes { get; init; } = 5;
    public int Seed { get; init; } = 1;
    /// <summary>Ticks of the fault phase; the liveness phase comes after.</summary>
    public int Ticks { get; init; } = 2000;
    public double DropRate { get; init; }
    public double DuplicateRate { get; init; }
    public int MaxDelayTicks { get; init; } = 1;
    public bool Partitions { get; init; }
    public bool Crashes { get; init; }
    /// <summary>Crash the leader every few dozen ticks and bring nodes back quickly: the pattern of
    /// the paper's Figure 8, where a careless commit rule loses committed entries.</summary>
    public bool LeaderChurn { get; init; }
    /// <summary>Nodes snapshot and compact their logs; lagging followers catch up by InstallSnapshot.</summary>
    public bool Snapshots { get; init; }
    /// <summary>The leader adds and removes servers (learners first, then promotion) at random.</summary>
    public bool Membership { get; init; }
    /// <summary>The leader hands leadership to a random voter now and then.</summary>
    public bool Transfers { get; init; }
    /// <summary>Clients issue ReadIndex reads, each checked against what was committed before it.</summary>
    public bool Reads { get; init; }
    /// <summary>Leaders answer reads from their lease (§6.4.1) while it holds.</summary>
    public bool LeaseReads { get; init; }
    /// <summary>Entries in one AppendEntries. One entry per message makes followers acknowledge entries of
    /// an earlier term on their own, before the new leader's entries: the ground Figure 8's bug needs.</summary>
    public int MaxEntriesPerAppend { get; init; } = 8;
    /// <summary>Appends in flight to one follower. With one, and one entry per append, every entry is its
    /// own round trip, so the window between an old entry reaching a majority and the new leader's own
    /// entry doing so is as wide as a round trip.</summary>
    public int MaxInflightAppends { get; init; } = 4;
    /// <summary>Nodes follow the asynchronous contract: a leader's appends leave before its own write is
    /// durable, writes take a few ticks, and nodes keep stepping meanwhile (§10.2.1).</summary>
    public bool AsyncWrites { get; init; }
    /// <summary>With <see cref="Membership"/>: this many nodes form the initial configuration; the others
    /// start with none and join when the leader adds them (0: every node is an initial voter).</summary>
    public int InitialVoters { get; init; }
    /// <summary>Chance per tick that a client proposes a command.</summary>
    public double ProposeRate { get; init; } = 0.3;
    /// <summary>Ticks the healed cluster gets to elect a leader and commit a fresh command everywhere.</summary>
    public int LivenessTicks { get; init; } = 1000;

    /// <summary>Every fault on at once: what CI runs over many seeds.</summary>
    public static RandomRunOptions Chaos(int seed, int nodes, int ticks) => new()
    {
        Seed = seed, Nodes = nodes, Ticks = ticks, DropRate = 0.05, DuplicateRate = 0.02, MaxDelayTicks = 4,
        Partitions = true, Crashes = true, LeaderChurn = seed % 4 is 1 or 3, MaxEntriesPerAppend = seed % 3 == 2 ? 1 : 8, MaxInflightAppends = seed % 3 == 2 ? 1 : 4,
        AsyncWrites = seed % 2 == 1, Snapshots = true, Membership = seed % 2 == 0, Transfers = true, Reads = true, LeaseReads = seed % 3 != 1,
        // Half the membership runs start with spares outside the configuration, which join with none of their own.
        InitialVoters = seed % 4 == 0 ? Math.Max(2, nodes - 2) : 0,
    };
}

/// <summary>The outcome of a random run: the verdict, the timeline and a few counts.</summary>
public sealed record RandomRunResult(bool Passed, string Verdict, IReadOnlyList<string> Timeline, long Committed,
    int Leaders, long MessagesSent, long SnapshotsTaken, long SnapshotsInstalled, long ReadsServed);

/// <summary>
/// A seeded random run (tier 3 of testing.md): faults chosen by the seed, checkers after every step,
/// then a liveness phase on the healed cluster. The same options give the same run, byte for byte.
/// </summary>
public static class RandomRun
{
    public static RandomRunResult Execute(RandomRunOptions options)
    {
        var ids = Enumerable.Range(1, options.Nodes).Select(i => $"n{i}").ToArray();
        var initial = options.InitialVoters > 0 ? ids.Take(options.InitialVoters).ToArray() : ids;
        var cluster = new SimCluster(ids, options.Seed, id =>
            SimCluster.DefaultOptions(id, initial.Contains(id) ? initial : []) with
            {
                LeaseReads = options.LeaseReads, MaxEntriesPerAppend = options.MaxEntriesPerAppend,
                MaxInflightAppends = options.MaxInflightAppends, AsyncStorageWrites = options.AsyncWrites,
                // With leases the election timeout is long beside message delays, as on a real network:
                // a lease then spans whole elections, and a lease that outlives its promise is caught.
                ElectionTicks = options.LeaseReads ? 20 : 10,
            });
        var random = new Random(unchecked(options.Seed * 7919 + 17));
        var commands = 0;
        try
        {
            cluster.Faults = new NetworkFaults
            {
                DropRate = options.DropRate, DuplicateRate = options.DuplicateRate, MaxDelayTicks = options.MaxDelayTicks,
            };
            cluster.CrashBeforePersistRate = options.Crashes ? 0.002 : 0;
            cluster.CrashAfterPersistRate = options.Crashes ? 0.001 : 0;
            cluster.TakeSnapshots = options.Snapshots;
            var downUntil = new Dictionary<string, long>();
            long nextPartitionChange = random.Next(50, 300);
            for (var tick = 0; tick < options.Ticks; tick++)
            {
                if (options.Partitions && cluster.Time >= nextPartitionChange)
                {
                    ChangePartition(cluster, random, ids);
                    nextPartitionChange = cluster.Time + random.Next(50, 300);
                }
                if (options.Crashes) CrashOrRestart(cluster, random, ids, downUntil, options.LeaderChurn ? 0.03 : 0.004);
                if (random.NextDouble() < options.ProposeRate) ProposeSomewhere(cluster, random, ids, ref commands);
                if (options.Membership && random.NextDouble() < 0.01) ChangeMembership(cluster, random, ids);
                if (options.Transfers && random.NextDouble() < 0.003 && cluster.Leader() is { } leader)
                {
                    cluster.TransferLeadership(leader.Id, ids[random.Next(ids.Length)]);
                    // Half the time the old leader stops hearing anyone as it hands over: it keeps believing it
                    // leads while the target takes over, which is when a lease it kept would serve stale reads.
                    if (random.NextDouble() < 0.5) Deafen(cluster, leader.Id, ids);
                }
                if (options.Reads && random.NextDouble() < 0.2) cluster.RequestRead(ReadTarget(cluster, random, ids));
                cluster.Tick();
            }
            var livenessFailure = CheckLiveness(cluster, options, ref commands);
            var verdict = livenessFailure is null
                ? $"seed {options.Seed}: all safety properties held; liveness held after healing"
                : $"seed {options.Seed}: {livenessFailure}";
            return Result(cluster, livenessFailure is null, verdict);
        }
        catch (SafetyViolationException violation)
        {
            return Result(cluster, false, $"seed {options.Seed}: {violation.Message} (at t={cluster.Time})");
        }
        catch (Exception crash)
        {
            // An impossible state (the core throws) or a plain bug: either way the seed reproduces it.
            return Result(cluster, false, $"seed {options.Seed}: a node failed at t={cluster.Time}: {crash}");
        }
    }

    /// <summary>Renders a run as the `raftctl sim` report.</summary>
    public static string Render(RandomRunOptions options, RandomRunResult result)
    {
        var text = new StringBuilder();
        text.AppendLine($"simulation: {options.Nodes} nodes, seed {options.Seed}, {options.Ticks} ticks, drop {options.DropRate:0.###}, " +
                        $"partitions {OnOff(options.Partitions)}, crashes {OnOff(options.Crashes)}, snapshots {OnOff(options.Snapshots)}, " +
                        $"membership {OnOff(options.Membership)}{(options.InitialVoters > 0 ? $" (from {options.InitialVoters} voters)" : "")}, " +
                        $"transfers {OnOff(options.Transfers)}, reads {OnOff(options.Reads)}{(options.LeaseReads ? " (lease)" : "")}, " +
                        $"async writes {OnOff(options.AsyncWrites)}");
        foreach (var line in result.Timeline) text.AppendLine(line);
        text.AppendLine($"summary: {result.Committed} entries committed, {result.Leaders} terms with a leader, {result.MessagesSent} messages sent, " +
                        $"{result.SnapshotsTaken} snapshots taken, {result.SnapshotsInstalled} installed, {result.ReadsServed} linearizable reads");
        text.AppendLine((result.Passed ? "PASS " : "FAIL ") + result.Verdict);
        return text.ToString();
    }

    private static string OnOff(bool value) => value ? "on" : "off";

    private static RandomRunResult Result(SimCluster cluster, bool passed, string verdict) =>
        new(passed, verdict, cluster.Events, cluster.Checker.HighestCommittedIndex, cluster.Checker.LeadersSeen, cluster.MessagesSent,
            cluster.SnapshotsTaken, cluster.SnapshotsInstalled, cluster.ReadsServed);

    private static void ChangePartition(SimCluster cluster, Random random, string[] ids)
    {
        switch (random.Next(5))
        {
            case 0:
                cluster.Heal();
                break;
            case 1:
                var shuffled = ids.OrderBy(_ => random.Next()).ToArray();
                var cut = random.Next(1, ids.Length);
                cluster.Partition(shuffled[..cut], shuffled[cut..]);
                break;
            case 2:
                cluster.Isolate(cluster.Leader()?.Id ?? ids[random.Next(ids.Length)]);
                break;
            case 3:
                var from = ids[random.Next(ids.Length)];
                var to = ids[random.Next(ids.Length)];
                if (from != to) cluster.BlockOneWay(from, to);
                break;
            default:
                cluster.Heal();
                break;
        }
    }

    /// <summary>One server at a time: remove a voter (keeping at least three), add a removed server back
    /// as a learner, or promote a learner. The core refuses changes it must not make yet.</summary>
    private static void ChangeMembership(SimCluster cluster, Random random, string[] ids)
    {
        if (cluster.Leader() is not { } leader) return;
        var config = leader.Raft!.Config;
        var candidates = new List<ConfigChange>();
        if (config.Voters.Count > 3)
            candidates.AddRange(config.Voters.Select(v => new ConfigChange(ConfigChangeType.RemoveNode, v)));
        candidates.AddRange(ids.Where(id => !config.IsMember(id)).Select(id => new ConfigChange(ConfigChangeType.AddLearner, id)));
        candidates.AddRange(config.Learners.Select(l => new ConfigChange(ConfigChangeType.AddVoter, l)));
        if (candidates.Count == 0) return;
        cluster.ChangeMembership(leader.Id, candidates[random.Next(candidates.Count)]);
    }

    /// <summary>Half the reads go to a node that believes it leads (a client's cached leader, perhaps one
    /// already deposed), the rest anywhere.</summary>
    private static string ReadTarget(SimCluster cluster, Random random, string[] ids)
    {
        var leaders = ids.Where(id => cluster[id].Raft?.Role == Role.Leader).ToArray();
        return leaders.Length > 0 && random.NextDouble() < 0.5 ? leaders[random.Next(leaders.Length)] : ids[random.Next(ids.Length)];
    }

    /// <summary>Every link into <paramref name="nodeId"/> is cut; what it sends still arrives.</summary>
    private static void Deafen(SimCluster cluster, string nodeId, string[] ids)
    {
        foreach (var id in ids.Where(id => id != nodeId)) cluster.BlockOneWay(id, nodeId);
    }

    private static void CrashOrRestart(SimCluster cluster, Random random, string[] ids, Dictionary<string, long> downUntil,
        double crashRatePerTick)
    {
        foreach (var id in ids)
        {
            if (!cluster[id].IsUp && cluster.Time >= downUntil.GetValueOrDefault(id)) cluster.Restart(id);
        }
        if (random.NextDouble() >= crashRatePerTick) return;
        var churn = crashRatePerTick > 0.01;
        var leaderFirst = churn ? 0.9 : 0.5;
        var victim = random.NextDouble() < leaderFirst && cluster.Leader() is { } leader ? leader.Id : ids[random.Next(ids.Length)];
        if (!cluster[victim].IsUp) return;
        cluster.Crash(victim);
        if (random.NextDouble() < 0.3)
        {
            // A restart at once, inside the lease of a leader the node had just acknowledged. Half the time the
            // leader is cut off at that moment and another node campaigns: only voters keeping the lease's
            // promise (no vote within an election timeout of hearing from the leader) stop it from winning
            // while the old leader still answers reads from its lease.
            cluster.Restart(victim);
            if (random.NextDouble() < 0.5 && cluster.Leader() is { } current && current.Id != victim)
            {
                cluster.Isolate(current.Id);
                var others = ids.Where(id => id != current.Id && id != victim && cluster[id].IsUp).ToArray();
                if (others.Length > 0) cluster.Campaign(others[random.Next(others.Length)]);
            }
            return;
        }
        downUntil[victim] = cluster.Time + (churn ? random.Next(5, 40) : random.Next(10, 200));
    }

    private static void ProposeSomewhere(SimCluster cluster, Random random, string[] ids, ref int commands)
    {
        // Clients mostly find the leader, sometimes knock on a follower's door.
        var target = random.NextDouble() < 0.8 && cluster.Leader() is { } leader ? leader.Id : ids[random.Next(ids.Length)];
        cluster.Propose(target, Encoding.UTF8.GetBytes($"c{++commands}"));
    }

    /// <summary>Heals everything and requires that a leader commits a fresh command on every node
    /// within the liveness budget. Returns null on success, else what was missing.</summary>
    private static string? CheckLiveness(SimCluster cluster, RandomRunOptions options, ref int commands)
    {
        cluster.Heal();
        cluster.Faults = NetworkFaults.Reliable;
        cluster.CrashBeforePersistRate = 0;
        cluster.CrashAfterPersistRate = 0;
        foreach (var node in cluster.Nodes.ToList()) cluster.Restart(node.Id);
        var deadline = cluster.Time + options.LivenessTicks;
        var marker = Encoding.UTF8.GetBytes($"liveness-{++commands}");
        long markerIndex = 0, markerTerm = 0;
        while (cluster.Time < deadline)
        {
            var leader = cluster.Leader();
            // A leader change before the marker committed may have dropped it: propose it again.
            if (leader is not null && leader.Raft!.Term != markerTerm) markerIndex = 0;
            if (markerIndex == 0 && leader is not null)
            {
                var result = cluster.Propose(leader.Id, marker);
                if (result.IsAccepted) (markerIndex, markerTerm) = (result.Index, result.Term);
            }
            var members = leader is null ? [] : cluster.Nodes.Where(n => leader.Raft!.Config.IsMember(n.Id)).ToList();
            if (markerIndex > 0 && members.Count > 0 && members.All(n => n.Raft!.AppliedIndex >= markerIndex))
            {
                // Every member applied the marker's index; it must hold the marker there (or have
                // compacted it, which it only does after applying it).
                if (members.All(n => n.EntryAt(markerIndex) is not { } entry || entry.Data.AsSpan().SequenceEqual(marker))) return null;
                markerIndex = 0;
            }
            cluster.Tick();
        }
        var states = string.Join(", ", cluster.Nodes.Select(n =>
            $"{n.Id}:{n.Raft!.Role}/t{n.Raft.Term}/c{n.Raft.CommitIndex}/a{n.Raft.AppliedIndex}/l{n.Raft.LastLogIndex}"));
        return $"liveness violated: no command committed on every node within {options.LivenessTicks} ticks after healing ({states})";
    }
}
