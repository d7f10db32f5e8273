namespace RaftOrleans.Raft.Tests.Scenarios;

/// <summary>Tier 2, election (§5.2): a leader emerges, stays while nothing fails, and is replaced when
/// it is cut off, but only by a node that can reach a majority.</summary>
public sealed class ElectionScenarios
{
    private const int E = Scenario.E;

    // One leader is elected, every node learns it, and with no failure the term stays put.
    [Fact]
    public void Initial_election()
    {
        var s = new Scenario(3, seed: 1);

        var leader = s.CheckOneLeader(maxTicks: 4 * E);
        var term = leader.Raft!.Term;
        Assert.True(term >= 1);
        s.Tick(20 * E);

        Assert.Same(leader, s.CheckOneLeader());
        Assert.Equal(term, leader.Raft.Term);
        Assert.All(s.Cluster.Nodes, n => Assert.Equal((term, leader.Id), (n.Raft!.Term, n.Raft.Leader)));
    }

    // A cut-off leader is replaced; its return does not disturb the new one; without a majority no
    // leader is elected, and one is as soon as a majority is back.
    [Fact]
    public void Re_election()
    {
        var s = new Scenario(3, seed: 2);
        var leader1 = s.CheckOneLeader();

        s.Disconnect(leader1.Id);
        var leader2 = s.CheckOneLeader();
        Assert.NotEqual(leader1.Id, leader2.Id);
        Assert.True(leader2.Raft!.Term > leader1.Raft!.Term);

        // The old leader rejoins: it must follow the new leader, not depose it.
        s.Connect(leader1.Id);
        s.Tick(3 * E);
        Assert.Same(leader2, s.CheckOneLeader());
        Assert.Equal(Role.Follower, leader1.Raft.Role);

        // Every node alone: no majority anywhere, so no leader (the old one steps down, §6.2).
        var others = s.Ids.Where(id => id != leader2.Id).ToArray();
        s.Disconnect(s.Ids);
        s.Tick(4 * E);
        s.CheckNoLeader(s.Ids);

        // Two of three back together: a leader.
        s.Connect(others[0], leader2.Id);
        s.CheckOneLeader(among: [others[0], leader2.Id]);

        s.ConnectAll();
        s.CheckOneLeader();
    }

    // Seven nodes, ten rounds of three random nodes cut off: the four that remain always elect a leader.
    [Fact]
    public void Many_elections()
    {
        var s = new Scenario(7, seed: 3);
        s.CheckOneLeader();
        for (var round = 0; round < 10; round++)
        {
            var cut = s.Ids.OrderBy(_ => s.Random.Next()).Take(3).ToArray();
            s.Disconnect(cut);
            var leader = s.CheckOneLeader();
            Assert.DoesNotContain(leader.Id, cut);
            s.Connect(cut);
        }
        s.CheckOneLeader();
    }
}
