using RaftOrleans.Simulation;

namespace RaftOrleans.Raft.Tests.Scenarios;

/// <summary>Tier 2, persistence (Figure 2's persistent state, §5.4.2's Figure 8) and unreliable networks:
/// nodes crash and restart from what they had made durable, messages are lost, duplicated and
/// reordered, and the checkers must stay silent while commands keep committing.</summary>
public sealed class PersistenceScenarios
{
    private const int E = Scenario.E;

    private static void Restart(Scenario s, string id)
    {
        var durable = s[id].DurableHardState;
        s.Cluster.Restart(id);
        var raft = s[id].Raft!;
        Assert.Equal((durable.Term, durable.VotedFor, durable.Commit), (raft.Term, raft.VotedFor, raft.CommitIndex));
        Assert.Equal(s[id].DurableLog.Count, raft.LastLogIndex);
    }

    // Crash and restart everyone, then the leader, then a leader while the others carry on, then a
    // follower: every time the cluster agrees again, and restarted nodes resume their term, vote and log.
    [Fact]
    public void Persist1()
    {
        var s = new Scenario(3, seed: 30);
        s.One(s.NewCommand(), 3);
        var terms = s.Cluster.Nodes.ToDictionary(n => n.Id, n => n.Raft!.Term);

        foreach (var id in s.Ids) s.Cluster.Crash(id);
        foreach (var id in s.Ids) Restart(s, id);
        Assert.All(s.Cluster.Nodes, n => Assert.True(n.Raft!.Term >= terms[n.Id]));
        s.One(s.NewCommand(), 3);

        var leader1 = s.CheckOneLeader();
        s.Cluster.Crash(leader1.Id);
        Restart(s, leader1.Id);
        s.One(s.NewCommand(), 3);

        var leader2 = s.CheckOneLeader();
        s.Cluster.Crash(leader2.Id);
        s.One(s.NewCommand(), 2);
        Restart(s, leader2.Id);
        s.One(s.NewCommand(), 3);

        var leader3 = s.CheckOneLeader();
        var follower = s.Ids.First(id => id != leader3.Id);
        s.Cluster.Crash(follower);
        s.One(s.NewCommand(), 2);
        Restart(s, follower);
        var last = s.One(s.NewCommand(), 3);
        s.WaitAllApplied(last);
    }

    // Five nodes; each round two followers crash, then the leader and two more, then the first two and a
    // third come back: the node holding the newest entries must win for anything to commit.
    [Fact]
    public void Persist2()
    {
        var s = new Scenario(5, seed: 31);
        for (var round = 0; round < 5; round++)
        {
            s.One(s.NewCommand(), 5);
            var leader = s.CheckOneLeader().Id;
            var others = s.Ids.Where(id => id != leader).OrderBy(_ => s.Random.Next()).ToArray();

            s.Cluster.Crash(others[0]);
            s.Cluster.Crash(others[1]);
            s.One(s.NewCommand(), 3);

            s.Cluster.Crash(leader);
            s.Cluster.Crash(others[2]);
            s.Cluster.Crash(others[3]);
            Restart(s, others[0]);
            Restart(s, others[1]);
            s.Tick(E);
            s.CheckNoLeader(s.Ids); // two of five
            Restart(s, others[2]);
            s.One(s.NewCommand(), 3);

            Restart(s, others[3]);
            Restart(s, leader);
        }
        var last = s.One(s.NewCommand(), 5);
        s.WaitAllApplied(last);
    }

    // A follower cut off, the leader and the other follower crash, the cut-off follower returns and the
    // old leader restarts: together they must commit (the old leader has the newer log). Then a leader
    // cut off with entries it persisted but could not commit crashes, restarts and rejoins: its durable
    // uncommitted entries are overwritten.
    [Fact]
    public void Persist3()
    {
        var s = new Scenario(3, seed: 32);
        s.One(s.NewCommand(), 3);
        var leader = s.CheckOneLeader().Id;
        var followers = s.Ids.Where(id => id != leader).ToArray();

        s.Disconnect(followers[1]);
        s.One(s.NewCommand(), 2);
        s.Cluster.Crash(leader);
        s.Cluster.Crash(followers[0]);
        s.Connect(followers[1]);
        Restart(s, leader);
        s.One(s.NewCommand(), 2);
        Restart(s, followers[0]);
        s.One(s.NewCommand(), 3);

        // The partitioned leader part.
        var leader2 = s.CheckOneLeader().Id;
        s.Disconnect(leader2);
        string[] lost = ["lost1", "lost2"];
        foreach (var command in lost) Assert.True(s.Cluster.Propose(leader2, Scenario.Bytes(command)).IsAccepted);
        s.Tick(1);
        Assert.Equal(lost, s[leader2].DurableLog.TakeLast(2).Select(Scenario.Text));
        s.One(s.NewCommand(), 2);
        s.Cluster.Crash(leader2);
        Restart(s, leader2);
        s.Connect(leader2);
        var last = s.One(s.NewCommand(), 3);
        s.WaitAllApplied(last);
        Assert.Empty(s.CommandsIn(s[leader2]).Intersect(lost));
        Assert.Empty(s[leader2].DurableLog.Select(Scenario.Text).Intersect(lost));
    }

    // Figure 8: leaders crash right after proposing, at random moments, and come back quickly, so entries
    // of old terms lie on majorities while newer leaders take over. The checker (Leader Completeness,
    // committed entries never lost) watches every step; at the end everyone agrees again.
    [Fact]
    public void Figure8() => Figure8Run(seed: 33, iterations: 300);

    internal static void Figure8Run(int seed, int iterations)
    {
        // One entry per append, so a follower can hold a leader's older-term entries without its no-op:
        // the very situation in which counting replicas of an old-term entry would be unsafe.
        var s = new Scenario(5, seed, o => o with { MaxEntriesPerAppend = 1 });
        s.One(s.NewCommand(), 1);
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            // Wait for a leader, let it propose and replicate for a moment (mostly too short to commit),
            // then crash it; keep at least three nodes up, restarting crashed ones at random.
            if (s.Cluster.RunUntil(() => s.LeaderAmong(s.Connected) is not null, 3 * E) && s.LeaderAmong(s.Connected) is { } leader)
            {
                for (var i = s.Random.Next(1, 4); i > 0; i--) s.Cluster.Propose(leader.Id, Scenario.Bytes(s.NewCommand()));
                s.Tick(s.Random.Next(100) < 10 ? s.Random.Next(3 * E / 2) : s.Random.Next(4));
                s.Cluster.Crash(leader.Id);
            }
            while (s.Cluster.Nodes.Count(n => n.IsUp) < 3)
            {
                var id = s.Ids[s.Random.Next(s.Ids.Length)];
                if (!s[id].IsUp) Restart(s, id);
            }
        }
        foreach (var id in s.Ids.Where(id => !s[id].IsUp)) Restart(s, id);
        var last = s.One(s.NewCommand(), 5, maxTicks: 100 * E);
        s.WaitAllApplied(last);
        Assert.True(s.Cluster.Checker.LeadersSeen >= iterations / 2, $"only {s.Cluster.Checker.LeadersSeen} leaders in {iterations} rounds");
    }

    // Agreement over a network that drops 10%, duplicates 5% and reorders messages.
    [Fact]
    public void Unreliable_agree()
    {
        var s = new Scenario(5, seed: 34);
        s.Cluster.Faults = NetworkFaults.Unreliable;
        for (var iteration = 1; iteration <= 50; iteration++)
        {
            for (var j = 0; j < 4; j++)
            {
                if (s.LeaderAmong(s.Ids) is { } leader) s.Cluster.Propose(leader.Id, Scenario.Bytes(s.NewCommand()));
            }
            s.One(s.NewCommand(), 1);
        }
        s.Cluster.Faults = NetworkFaults.Reliable;
        var last = s.One(s.NewCommand(), 5);
        s.WaitAllApplied(last);
        Assert.True(s.Cluster.Checker.HighestCommittedIndex >= 50);
    }

    // Figure 8 on an unreliable network, with long reordering for the last two thirds: leaders are cut
    // off (not crashed) at random moments, so stale leaders and stale messages linger while newer
    // leaders take over.
    [Fact]
    public void Figure8_unreliable() => Figure8UnreliableRun(seed: 35, iterations: 300);

    internal static void Figure8UnreliableRun(int seed, int iterations)
    {
        var s = new Scenario(5, seed, o => o with { MaxEntriesPerAppend = 1 });
        s.Cluster.Faults = NetworkFaults.Unreliable;
        s.One(s.NewCommand(), 1);
        for (var iteration = 0; iteration < iterations; iteration++)
        {
            if (iteration == iterations / 3) s.Cluster.Faults = NetworkFaults.Unreliable with { MaxDelayTicks = 3 * E }; // long reordering
            if (s.Cluster.RunUntil(() => s.LeaderAmong(s.Connected) is not null, 3 * E) && s.LeaderAmong(s.Connected) is { } leader)
            {
                for (var i = s.Random.Next(1, 4); i > 0; i--) s.Cluster.Propose(leader.Id, Scenario.Bytes(s.NewCommand()));
                s.Tick(s.Random.Next(100) < 10 ? s.Random.Next(3 * E / 2) : s.Random.Next(4));
                if (s.Random.Next(2) == 0) s.Disconnect(leader.Id);
            }
            while (s.Connected.Count < 3)
            {
                var id = s.Ids[s.Random.Next(s.Ids.Length)];
                if (s.IsDisconnected(id)) s.Connect(id);
            }
        }
        // Delays beyond the election timeout break Raft's timing requirement (broadcast time << election
        // timeout, §5.6), so liveness is only required once they are back to the usual few ticks.
        s.ConnectAll();
        s.Cluster.Faults = NetworkFaults.Unreliable;
        var last = s.One(s.NewCommand(), 5, maxTicks: 100 * E);
        s.Cluster.Faults = NetworkFaults.Reliable;
        s.WaitAllApplied(last);
    }

    [Fact]
    public void Reliable_churn() => Churn(unreliable: false, seed: 36);

    [Fact]
    public void Unreliable_churn() => Churn(unreliable: true, seed: 37);

    /// <summary>
    /// Three clients propose all the time while nodes are cut off, reconnected, crashed and restarted
    /// at random (on an unreliable network, crashes also hit mid-write). A command is acknowledged once
    /// some node applied it at its index; after healing, every node must hold every acknowledged command
    /// at that index: no acknowledged write is lost.
    /// </summary>
    private static void Churn(bool unreliable, int seed)
    {
        var s = new Scenario(5, seed);
        if (unreliable)
        {
            s.Cluster.Faults = NetworkFaults.Unreliable;
            s.Cluster.CrashBeforePersistRate = 0.002;
        }
        var pending = new List<(long Index, string Command)>();
        var acknowledged = new Dictionary<long, string>();
        for (var tick = 0; tick < 800; tick++)
        {
            for (var client = 0; client < 3; client++)
            {
                if (s.Random.NextDouble() >= 0.3) continue;
                var target = s.LeaderAmong(s.Connected)?.Id ?? s.Ids[s.Random.Next(s.Ids.Length)];
                var command = s.NewCommand();
                var result = s.Cluster.Propose(target, Scenario.Bytes(command));
                if (result.IsAccepted) pending.Add((result.Index, command));
            }
            if (s.Random.NextDouble() < 0.1) ChurnOnce(s);
            s.Tick();
            foreach (var proposal in pending.ToList())
            {
                var (count, applied) = s.NCommitted(proposal.Index);
                if (count == 0) continue;
                if (applied == proposal.Command) acknowledged[proposal.Index] = applied;
                pending.Remove(proposal);
            }
        }

        s.ConnectAll();
        foreach (var id in s.Ids.Where(id => !s[id].IsUp)) Restart(s, id);
        s.Cluster.Faults = NetworkFaults.Reliable;
        s.Cluster.CrashBeforePersistRate = 0;
        var last = s.One(s.NewCommand(), 5, maxTicks: 100 * E);
        s.WaitAllApplied(last);

        Assert.True(acknowledged.Count >= 50, $"only {acknowledged.Count} commands acknowledged during the churn");
        foreach (var node in s.Cluster.Nodes)
        foreach (var (index, command) in acknowledged)
            Assert.Equal(command, Scenario.Text(node.Applied[(int)index - 1]));
    }

    private static void ChurnOnce(Scenario s)
    {
        var id = s.Ids[s.Random.Next(s.Ids.Length)];
        var roll = s.Random.NextDouble();
        if (roll < 0.2) s.Disconnect(id);
        else if (roll < 0.7)
        {
            if (!s[id].IsUp) Restart(s, id);
            s.Connect(id);
        }
        else if (roll < 0.9) s.Cluster.Crash(id);
    }
}
