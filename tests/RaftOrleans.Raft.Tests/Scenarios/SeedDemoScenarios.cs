namespace RaftOrleans.Raft.Tests.Scenarios;

/// <summary>
/// The three demonstrations of the seed document (shared/seed), step by step, each step's expected
/// outcome asserted. "Starting" a node that has never run is modelled as restarting a node crashed
/// before its first tick with nothing on disk.
/// </summary>
public sealed class SeedDemoScenarios
{
    private const int E = Scenario.E;

    private static Scenario WithOnlyStarted(int nodes, int seed, params string[] started)
    {
        var s = new Scenario(nodes, seed);
        foreach (var id in s.Ids.Except(started)) s.Cluster.Crash(id);
        return s;
    }

    private static void Start(Scenario s, string id)
    {
        Assert.Empty(s[id].DurableLog);
        s.Cluster.Restart(id);
    }

    [Fact]
    public void Seed_demo_election()
    {
        var s = WithOnlyStarted(5, seed: 40, "n1");

        // 1. The first node alone: its timer expires and it campaigns. With pre-vote (§9.6) it asks
        //    whether it could win before raising its term, so it stays a pre-candidate in term 0.
        Assert.True(s.Cluster.RunUntil(() => s["n1"].Raft!.Role != Role.Follower, 2 * E));
        Assert.Equal(Role.PreCandidate, s["n1"].Raft!.Role);
        s.Tick(10 * E);
        s.CheckNoLeader(s.Ids);
        Assert.Equal(0, s["n1"].Raft!.Term);

        // 2. A second node: two of five cannot elect a leader.
        Start(s, "n2");
        s.Tick(20 * E);
        s.CheckNoLeader(s.Ids);

        // 3. A third node: a majority, a leader is elected among the three.
        Start(s, "n3");
        var leader = s.CheckOneLeader(maxTicks: 10 * E);
        Assert.Contains(leader.Id, new[] { "n1", "n2", "n3" });
        var term = leader.Raft!.Term;

        // 4-5. A fourth and a fifth node join: the leader does not change, and they follow it.
        foreach (var id in new[] { "n4", "n5" })
        {
            Start(s, id);
            s.Tick(20 * E);
            Assert.Same(leader, s.CheckOneLeader());
            Assert.Equal(term, leader.Raft.Term);
            Assert.Equal((term, leader.Id), (s[id].Raft!.Term, s[id].Raft!.Leader));
        }

        // 6-7. Crash the leader, twice: the four, then the three remaining nodes elect a new one.
        var crashed = new List<string>();
        foreach (var survivors in new[] { 4, 3 })
        {
            crashed.Add(leader.Id);
            s.Cluster.Crash(leader.Id);
            var next = s.CheckOneLeader(maxTicks: 10 * E);
            Assert.DoesNotContain(next.Id, crashed);
            Assert.True(next.Raft!.Term > term);
            Assert.Equal(survivors, s.Cluster.Nodes.Count(n => n.IsUp));
            (leader, term) = (next, next.Raft.Term);
        }

        // 8. Crash the leader once more: two remaining nodes do not elect a leader.
        s.Cluster.Crash(leader.Id);
        s.Tick(30 * E);
        s.CheckNoLeader(s.Ids);
        Assert.Equal(2, s.Cluster.Nodes.Count(n => n.IsUp));
    }

    [Fact]
    public void Seed_demo_replication()
    {
        // 1. All nodes up.
        var s = new Scenario(5, seed: 41);
        var leader = s.CheckOneLeader();
        var term = leader.Raft!.Term;

        // 2. Some client commands: every node applies them.
        var first = Enumerable.Range(0, 5).Select(_ => s.NewCommand()).ToList();
        foreach (var command in first) s.One(command, 5, retry: false);

        // 3. Crash two followers.
        var down = s.Ids.Where(id => id != leader.Id).Take(2).ToArray();
        foreach (var id in down) s.Cluster.Crash(id);

        // 4. More commands: the same leader replicates them to (and commits them on) the three live nodes.
        var second = Enumerable.Range(0, 5).Select(_ => s.NewCommand()).ToList();
        long last = 0;
        foreach (var command in second) last = s.One(command, 3, retry: false);
        Assert.Equal((Role.Leader, term), (leader.Raft.Role, leader.Raft.Term));
        foreach (var id in down)
            Assert.Empty(s[id].DurableLog.Select(Scenario.Text).Intersect(second));

        // 5. The crashed nodes come back: the leader sends them what they missed, in order.
        foreach (var id in down) s.Cluster.Restart(id);
        s.WaitAllApplied(last);
        Assert.All(s.Cluster.Nodes, n => Assert.Equal(first.Concat(second), s.CommandsIn(n)));
        Assert.Equal((Role.Leader, term), (leader.Raft.Role, leader.Raft.Term));
    }

    [Fact]
    public void Seed_demo_log_conflict()
    {
        // 1. All nodes up.
        var s = new Scenario(5, seed: 42);
        var committed = s.NewCommand();
        s.One(committed, 5, retry: false);
        var oldLeader = s.CheckOneLeader().Id;
        var partner = s.Ids.First(id => id != oldLeader);
        var others = s.Ids.Except([oldLeader, partner]).ToArray();

        // 2. Crash all but the leader and one more.
        foreach (var id in others) s.Cluster.Crash(id);

        // 3. Requests: replicated to the partner, but two of five cannot commit them.
        string[] uncommitted = ["u1", "u2", "u3"];
        var indexes = uncommitted.Select(c => s.Cluster.Propose(oldLeader, Scenario.Bytes(c))).Select(r =>
        {
            Assert.True(r.IsAccepted);
            return r.Index;
        }).ToArray();
        s.Tick(3);
        Assert.Equal(uncommitted, s[partner].DurableLog.TakeLast(3).Select(Scenario.Text));
        Assert.All(indexes, i => Assert.Equal(0, s.NCommitted(i).Count));
        Assert.True(s[oldLeader].Raft!.CommitIndex < indexes[0]);

        // 4. Crash both, and let the appends they still had in flight drain away (delivered to crashed
        //    nodes, they are lost; delivered to the restarted ones, they could legitimately carry the
        //    uncommitted entries over and the demo would show something else).
        s.Cluster.Crash(oldLeader);
        s.Cluster.Crash(partner);
        s.Tick(E);

        // 5. Restart the three crashed earlier: they elect a leader among themselves.
        foreach (var id in others) s.Cluster.Restart(id);
        var newLeader = s.CheckOneLeader();
        Assert.Contains(newLeader.Id, others);

        // 6. Requests to the new leader: replicated and committed on the three, at the very indexes
        //    where the two crashed nodes hold their uncommitted entries.
        var fresh = Enumerable.Range(0, 3).Select(_ => s.NewCommand()).ToArray();
        var freshIndexes = fresh.Select(c => s.One(c, 3, retry: false)).ToArray();
        Assert.True(freshIndexes[0] <= indexes[^1], "the new entries should collide with the uncommitted ones");

        // 7. Restart the two.
        s.Cluster.Restart(oldLeader);
        s.Cluster.Restart(partner);
        Assert.Equal(uncommitted, s[oldLeader].DurableLog.TakeLast(3).Select(Scenario.Text));

        // 8. The leader replaces their conflicting uncommitted entries with its own log.
        s.WaitAllApplied(freshIndexes[^1]);
        var expected = new[] { committed }.Concat(fresh).ToArray();
        foreach (var node in s.Cluster.Nodes)
        {
            Assert.Equal(expected, s.CommandsIn(node));
            Assert.Empty(node.DurableLog.Select(Scenario.Text).Intersect(uncommitted));
            Assert.DoesNotContain(node.Applied, e => uncommitted.Contains(Scenario.Text(e)));
            foreach (var index in indexes) Assert.Equal(newLeader.EntryAt(index), node.EntryAt(index));
        }
        Assert.Equal(Role.Leader, newLeader.Raft!.Role);
    }
}
