using RaftOrleans.Contracts;

namespace RaftOrleans.Cluster.Tests;

/// <summary>What the test sees of the cluster: every reachable node's status.</summary>
public static class ClusterViews
{
    public static async Task<IReadOnlyList<NodeStatus>> StatusesAsync(this RaftTestCluster cluster, IEnumerable<string>? nodes = null)
    {
        var tasks = (nodes ?? cluster.Nodes).Select(async node =>
        {
            try
            {
                return await cluster.Node(node).GetStatus().WaitAsync(TimeSpan.FromSeconds(1));
            }
            catch (Exception)
            {
                return null; // down or unreachable: not part of this view
            }
        });
        return (await Task.WhenAll(tasks)).Where(s => s is not null).Select(s => s!).ToArray();
    }

    public static string Describe(IReadOnlyList<NodeStatus> statuses) =>
        statuses.Count == 0 ? "no node answered"
            : string.Join("; ", statuses.Select(s =>
                $"{s.Node}@{s.Silo} {s.Role.Name()} term {s.Term} leader {s.Leader ?? "-"} commit {s.CommitIndex} applied {s.AppliedIndex} last {s.LastLogIndex}"));

    /// <summary>Waits until exactly one of <paramref name="nodes"/> leads and all of them agree on it
    /// in its term; returns the statuses seen.</summary>
    public static Task<IReadOnlyList<NodeStatus>> AgreedLeaderAsync(this RaftTestCluster cluster, IReadOnlyCollection<string> nodes,
        TimeSpan? deadline = null) =>
        Poll.UntilAsync(() => cluster.StatusesAsync(nodes),
            statuses => statuses.Count == nodes.Count
                        && statuses.Count(s => s.Role == NodeRole.Leader) == 1
                        && statuses.All(s => s.Leader == statuses.Single(l => l.Role == NodeRole.Leader).Node
                                             && s.Term == statuses.Single(l => l.Role == NodeRole.Leader).Term),
            deadline ?? TimeSpan.FromSeconds(10), $"one leader agreed on by {string.Join(",", nodes)}", Describe);

    public static async Task<string> LeaderAsync(this RaftTestCluster cluster, IReadOnlyCollection<string>? nodes = null)
    {
        var statuses = await cluster.AgreedLeaderAsync(nodes ?? cluster.Nodes);
        return statuses.Single(s => s.Role == NodeRole.Leader).Node;
    }

    /// <summary>Every node has committed and applied its whole log; returns the statuses seen.</summary>
    public static Task<IReadOnlyList<NodeStatus>> SettledAsync(this RaftTestCluster cluster) =>
        Poll.UntilAsync(() => cluster.StatusesAsync(),
            s => s.Select(x => x.LastLogIndex).Distinct().Count() == 1 && s.All(x => x.CommitIndex == x.LastLogIndex && x.AppliedIndex == x.CommitIndex),
            TimeSpan.FromSeconds(10), "every node to commit and apply the whole log", Describe);

    /// <summary>Proposes at the current leader, following NotLeader hints, until Applied.</summary>
    public static async Task<ClientReply> ProposeAsync(this RaftTestCluster cluster, byte[] command, IReadOnlyCollection<string>? nodes = null)
    {
        ClientReply? last = null;
        return await Poll.UntilAsync(async () =>
        {
            var leader = await cluster.LeaderAsync(nodes);
            last = await cluster.Node(leader).Propose(command);
            return last;
        }, reply => reply.Status == ClientReplyStatus.Applied, TimeSpan.FromSeconds(15), "an applied proposal", r => r?.ToString() ?? "none");
    }

    /// <summary>Waits until <paramref name="nodes"/> hold everything the leader holds: the same last log
    /// index and commit index as the node that leads; returns the statuses seen.</summary>
    public static Task<IReadOnlyList<NodeStatus>> CaughtUpAsync(this RaftTestCluster cluster, IReadOnlyCollection<string> nodes,
        TimeSpan? deadline = null) =>
        Poll.UntilAsync(() => cluster.StatusesAsync(),
            statuses => statuses.Where(s => s.Role == NodeRole.Leader).ToArray() is [var leader]
                        && nodes.All(n => statuses.FirstOrDefault(s => s.Node == n) is { } status
                                          && status.Leader == leader.Node && status.Term == leader.Term
                                          && status.LastLogIndex == leader.LastLogIndex && status.CommitIndex == leader.CommitIndex),
            deadline ?? TimeSpan.FromSeconds(15), $"{string.Join(",", nodes)} to hold the leader's last and commit index", Describe);
}
