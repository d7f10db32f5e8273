using System.Text;
using RaftOrleans.Simulation;

namespace RaftOrleans.Raft.Tests.Dissertation;

/// <summary>Small steps the dissertation tests share, so each test reads as its scenario.</summary>
internal static class SimHelpers
{
    public static string[] Ids(int count) => Enumerable.Range(1, count).Select(i => $"n{i}").ToArray();

    public static SimCluster Cluster(int nodes, int seed = 1, Func<RaftOptions, RaftOptions>? adjust = null)
    {
        var ids = Ids(nodes);
        return new SimCluster(ids, seed, id => (adjust ?? (o => o))(SimCluster.DefaultOptions(id, ids)));
    }

    public static SimNode ElectLeader(this SimCluster cluster, int maxTicks = 500)
    {
        Assert.True(cluster.RunUntil(() => cluster.Leader() is not null, maxTicks),
            $"no leader within {maxTicks} ticks: {Describe(cluster)}");
        return cluster.Leader()!;
    }

    public static byte[] Command(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Proposes <paramref name="count"/> commands at the current leader and waits until every
    /// running member of the configuration has applied them.</summary>
    public static long CommitEverywhere(this SimCluster cluster, int count, string prefix = "c", int maxTicks = 2000)
    {
        long last = 0;
        for (var i = 0; i < count; i++)
        {
            var leader = cluster.ElectLeader();
            var result = cluster.Propose(leader.Id, Command($"{prefix}{i}"));
            if (result.IsAccepted) last = result.Index;
            else i--;
            if (i % 20 == 0) cluster.Tick();
        }
        Assert.True(cluster.RunUntil(() => RunningMembers(cluster).All(n => n.Raft!.AppliedIndex >= last), maxTicks),
            $"index {last} not applied everywhere within {maxTicks} ticks: {Describe(cluster)}");
        return last;
    }

    /// <summary>Members of the leader's configuration that are up and can talk to the leader both ways.</summary>
    public static IEnumerable<SimNode> RunningMembers(SimCluster cluster)
    {
        var leader = cluster.Leader();
        if (leader is null) return cluster.Nodes.Where(n => n.IsUp);
        return cluster.Nodes.Where(n => n.IsUp && leader.Raft!.Config.IsMember(n.Id) &&
                                        cluster.IsConnected(leader.Id, n.Id) && cluster.IsConnected(n.Id, leader.Id));
    }

    public static string Describe(SimCluster cluster) => string.Join(", ", cluster.Nodes.Select(n => n.Raft is { } r
        ? $"{n.Id}:{r.Role}/t{r.Term}/c{r.CommitIndex}/a{r.AppliedIndex}/f{r.FirstLogIndex}/l{r.LastLogIndex}"
        : $"{n.Id}:down"));
}
