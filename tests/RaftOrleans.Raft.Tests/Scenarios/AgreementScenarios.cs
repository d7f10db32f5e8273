using RaftOrleans.Simulation;

namespace RaftOrleans.Raft.Tests.Scenarios;

/// <summary>Tier 2, agreement (§5.3, §5.4): commands commit on a majority, never without one, survive
/// follower and leader failures, and stale leaders' entries are overwritten.</summary>
public sealed class AgreementScenarios
{
    private const int E = Scenario.E;

    // Commands proposed one after the other commit everywhere, at consecutive indexes.
    [Fact]
    public void Basic_agree()
    {
        var s = new Scenario(3, seed: 10);
        s.CheckOneLeader();
        var expected = s.CheckOneLeader().Raft!.LastLogIndex + 1; // after the leader's no-op
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, s.NCommitted(expected).Count);
            var index = s.One(s.NewCommand(), 3, retry: false);
            Assert.Equal(expected, index);
            expected++;
        }
    }

    // A crashed follower does not stop the other two; two crashed followers stop commits.
    [Fact]
    public void Follower_failure()
    {
        var s = new Scenario(3, seed: 11);
        s.One(s.NewCommand(), 3, retry: false);
        var leader = s.CheckOneLeader();
        var followers = s.Ids.Where(id => id != leader.Id).ToArray();

        s.Cluster.Crash(followers[0]);
        s.One(s.NewCommand(), 2, retry: false);
        s.Tick(2 * E);
        s.One(s.NewCommand(), 2, retry: false);

        s.Cluster.Crash(followers[1]);
        var result = s.Cluster.Propose(leader.Id, Scenario.Bytes("lost"));
        Assert.True(result.IsAccepted);
        s.Tick(4 * E);
        Assert.Equal(0, s.NCommitted(result.Index).Count);
        Assert.True(leader.Raft!.CommitIndex < result.Index);
    }

    // A leader whose messages no longer reach anyone (one-way cut: it still hears them) is replaced, and
    // though none of its answers gets back, it learns what the new leader commits: the new leader's
    // probes carry the commit index, and nothing waits for the answers that never come.
    [Theory]
    [InlineData(13)]
    [InlineData(113)]
    [InlineData(213)]
    public void One_way_cut_leader_still_learns_the_commit_index(int seed)
    {
        var s = new Scenario(3, seed);
        s.One(s.NewCommand(), 3, retry: false);
        var oldLeader = s.CheckOneLeader();
        foreach (var follower in s.Ids.Where(id => id != oldLeader.Id)) s.Cluster.BlockOneWay(oldLeader.Id, follower);

        var others = s.Ids.Where(id => id != oldLeader.Id).ToArray();
        var newLeader = s.CheckOneLeader(others);
        var index = s.One(s.NewCommand(), 2, among: others);
        // Time for a few heartbeats: committed is all it takes, nothing needs to be proposed after it.
        var learned = s.Cluster.RunUntil(() => oldLeader.Raft!.CommitIndex >= index, 10 * E);
        Assert.True(learned, $"the cut-off old leader never learned commit {index}: {s.Describe()}");
        Assert.Equal(newLeader.Id, oldLeader.Raft!.Leader);
    }

    // A crashed leader is replaced and the survivors agree; with two of three down nothing commits.
    [Fact]
    public void Leader_failure()
    {
        var s = new Scenario(3, seed: 12);
        s.One(s.NewCommand(), 3, retry: false);
        var leader1 = s.CheckOneLeader();

        s.Cluster.Crash(leader1.Id);
        s.One(s.NewCommand(), 2);
        s.Tick(2 * E);
        s.One(s.NewCommand(), 2);
        var leader2 = s.CheckOneLeader();
        var committed = s.Cluster.Checker.HighestCommittedIndex;

        s.Cluster.Crash(leader2.Id);
        foreach (var id in s.Connected) s.Cluster.Propose(id, Scenario.Bytes("lost"));
        s.Tick(4 * E);
        Assert.Equal(committed, s.Cluster.Checker.HighestCommittedIndex);
        s.CheckNoLeader(s.Connected);
    }

    // A follower cut off while the others agree catches up when it is reconnected.
    [Fact]
    public void Fail_agree()
    {
        var s = new Scenario(3, seed: 13);
        s.One(s.NewCommand(), 3, retry: false);
        var leader = s.CheckOneLeader();
        var follower = s.Ids.First(id => id != leader.Id);

        s.Disconnect(follower);
        for (var i = 0; i < 4; i++) s.One(s.NewCommand(), 2, retry: false);
        s.Tick(2 * E);
        s.One(s.NewCommand(), 2, retry: false);

        s.Connect(follower);
        s.One(s.NewCommand(), 3);
        var last = s.One(s.NewCommand(), 3);
        Assert.Equal(last, s[follower].Raft!.AppliedIndex);
        Assert.Equal(s.CommandsIn(s.CheckOneLeader()), s.CommandsIn(s[follower]));
    }

    // With three of five followers gone, the leader's proposal is not committed; once they are back a
    // new agreement is reached on all five.
    [Fact]
    public void Fail_no_agree()
    {
        var s = new Scenario(5, seed: 14);
        s.One(s.NewCommand(), 5, retry: false);
        var leader = s.CheckOneLeader();
        var followers = s.Ids.Where(id => id != leader.Id).ToArray();

        s.Disconnect(followers[..3]);
        var result = s.Cluster.Propose(leader.Id, Scenario.Bytes("maybe"));
        Assert.True(result.IsAccepted);
        s.Tick(4 * E);
        Assert.Equal(0, s.NCommitted(result.Index).Count);
        Assert.True(s.Cluster.Nodes.All(n => n.Raft!.CommitIndex < result.Index));

        s.ConnectAll();
        var index = s.One(s.NewCommand(), 5);
        Assert.True(index > result.Index);
    }

    // Proposals made together (no tick between them) get consecutive indexes in one term, are written
    // with one storage write (group commit), and all commit, in proposal order.
    [Fact]
    public void Concurrent_starts()
    {
        var s = new Scenario(3, seed: 15);
        s.One(s.NewCommand(), 3, retry: false);
        var leader = s.CheckOneLeader();
        var writesBefore = leader.StorageWrites;

        var commands = Enumerable.Range(0, 5).Select(_ => s.NewCommand()).ToArray();
        var results = commands.Select(c => leader.Raft!.Propose(Scenario.Bytes(c))).ToArray();
        s.Tick();

        Assert.All(results, r => Assert.True(r.IsAccepted));
        Assert.Single(results.Select(r => r.Term).Distinct());
        Assert.Equal(Enumerable.Range((int)results[0].Index, 5).Select(i => (long)i), results.Select(r => r.Index));
        Assert.Equal(writesBefore + 1, leader.StorageWrites);
        s.WaitAllApplied(results[^1].Index);
        for (var i = 0; i < commands.Length; i++) Assert.Equal((3, commands[i]), s.NCommitted(results[i].Index));
    }

    // A leader cut off with uncommitted entries rejoins later as a follower; those entries are replaced
    // by the new leaders' committed ones and never applied anywhere.
    [Fact]
    public void Rejoin()
    {
        var s = new Scenario(3, seed: 16);
        s.One(s.NewCommand(), 3, retry: false);
        var leader1 = s.CheckOneLeader();

        s.Disconnect(leader1.Id);
        string[] lost = ["lost1", "lost2", "lost3"];
        foreach (var command in lost) Assert.True(s.Cluster.Propose(leader1.Id, Scenario.Bytes(command)).IsAccepted);
        s.One(s.NewCommand(), 2);
        var leader2 = s.CheckOneLeader();

        s.Disconnect(leader2.Id);
        s.Connect(leader1.Id);
        s.One(s.NewCommand(), 2);

        s.ConnectAll();
        var last = s.One(s.NewCommand(), 3);
        s.WaitAllApplied(last);

        foreach (var node in s.Cluster.Nodes)
        {
            Assert.Empty(s.CommandsIn(node).Intersect(lost));
            Assert.DoesNotContain(node.Applied, e => lost.Contains(Scenario.Text(e)));
        }
        Assert.Equal(s.CommandsIn(leader1), s.CommandsIn(leader2));
    }

    // The leader backs up quickly over long conflicting logs: two old leaders each gather 50 uncommitted
    // entries in minority partitions while majorities commit 50 others (MIT 6.824's TestBackup).
    [Fact]
    public void Backup()
    {
        var s = new Scenario(5, seed: 17);
        s.One(s.NewCommand(), 5);
        var leader1 = s.CheckOneLeader();
        var rest = s.Ids.Where(id => id != leader1.Id).ToArray();

        // leader1 and one follower in a minority, proposing 50 commands that cannot commit.
        string[] minority1 = [leader1.Id, rest[0]], majority1 = rest[1..];
        s.Cluster.Partition(minority1, majority1);
        var lost1 = Enumerable.Range(0, 50).Select(i => $"lost-a{i}").ToArray();
        foreach (var command in lost1) s.Cluster.Propose(leader1.Id, Scenario.Bytes(command));
        s.Tick(E / 2);

        // The other three elect a leader and commit 50 commands.
        for (var i = 0; i < 50; i++) s.One(s.NewCommand(), 3, among: majority1);
        var leader2 = s.CheckOneLeader(among: majority1);

        // leader2 with one follower in a minority, proposing 50 more that cannot commit.
        var other = majority1.First(id => id != leader2.Id);
        string[] minority2 = majority1.Where(id => id != other).ToArray();
        string[] majority2 = [leader1.Id, rest[0], other];
        s.Cluster.Partition(minority2, majority2);
        var lost2 = Enumerable.Range(0, 50).Select(i => $"lost-b{i}").ToArray();
        foreach (var command in lost2) s.Cluster.Propose(leader2.Id, Scenario.Bytes(command));
        s.Tick(E / 2);

        // The first minority plus `other` form a majority: their leader overwrites 50 conflicting entries
        // on leader1 and its follower, and commits 50 new commands.
        for (var i = 0; i < 50; i++) s.One(s.NewCommand(), 3, among: majority2, maxTicks: 10 * E);

        // Everyone back: the last 50 conflicting entries on the second minority are overwritten too.
        s.Cluster.Heal();
        var last = s.One(s.NewCommand(), 5, maxTicks: 10 * E);
        s.WaitAllApplied(last);
        var reference = s.CommandsIn(s.CheckOneLeader());
        Assert.Equal(102, reference.Distinct().Count()); // 1 + 50 + 50 + 1 committed commands
        foreach (var node in s.Cluster.Nodes)
        {
            Assert.Equal(reference, s.CommandsIn(node));
            Assert.Empty(s.CommandsIn(node).Intersect(lost1.Concat(lost2)));
        }
    }

    // Message budgets: an election, an agreement on a batch of commands and an idle period each cost a
    // bounded number of messages (no retransmission storms, no per-entry messages, no heartbeat floods).
    [Fact]
    public void Count()
    {
        var s = new Scenario(3, seed: 18);
        var options = SimCluster.DefaultOptions("n1", s.Ids);

        // An election: pre-votes, votes and the no-op round for 2 followers are 12 messages; allow for
        // a heartbeat or two and a competing candidate, not for repeated rounds.
        var leader = s.CheckOneLeader();
        s.WaitAllApplied(leader.Raft!.LastLogIndex);
        var electionMessages = s.Cluster.MessagesSent;
        Assert.InRange(electionMessages, 8, 30);

        // 20 commands proposed together: one append and one ack per follower carry them all; the commit
        // reaches followers with the next heartbeat round.
        var before = s.Cluster.MessagesSent;
        var start = s.Cluster.Time;
        long last = 0;
        for (var i = 0; i < 20; i++) last = leader.Raft.Propose(Scenario.Bytes(s.NewCommand())).Index;
        s.WaitAllApplied(last);
        var agreementMessages = s.Cluster.MessagesSent - before;
        var heartbeatRounds = (s.Cluster.Time - start) / options.HeartbeatTicks + 1;
        var entriesPerAppend = options.MaxEntriesPerAppend;
        var appendRounds = (20 + entriesPerAppend - 1) / entriesPerAppend;
        Assert.InRange(agreementMessages, 4, 2 * 2 * (appendRounds + heartbeatRounds));
        Assert.True(agreementMessages < 2 * 2 * 20, $"{agreementMessages} messages for 20 commands: one per entry?");

        // An idle second (100 ticks at the grain's 10 ms tick): one heartbeat and one answer per follower
        // per heartbeat interval, nothing more.
        var term = leader.Raft.Term;
        before = s.Cluster.MessagesSent;
        s.Tick(100);
        var idleMessages = s.Cluster.MessagesSent - before;
        Assert.InRange(idleMessages, 2 * 2 * (100 / options.HeartbeatTicks) - 4, 2 * 2 * (100 / options.HeartbeatTicks));
        Assert.Equal(term, leader.Raft.Term);
        Assert.Equal(Role.Leader, leader.Raft.Role);
    }
}
