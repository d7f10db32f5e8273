using RaftOrleans.Client;
using RaftOrleans.Contracts;

namespace RaftOrleans.Cli.Bench;

/// <summary>What the nodes' status says about a run, read once before it and once after: how many
/// elections happened (a leader elected in a later term; with pre-vote a term only begins for a real
/// election), who led, and how many log entries one storage write carried (the write.entries histogram).</summary>
public sealed record RunObservation(
    long? TermBefore, long? TermAfter, string? LeaderBefore, string? LeaderAfter,
    double? EntriesPerWrite, double? EntriesPerWriteFollowers)
{
    /// <summary>The last log index of the leader after the run (of the node with the highest index when none leads).</summary>
    public long? LastLogIndexAfter { get; init; }

    /// <summary>Terms begun during the run (null when no node answered before or after).</summary>
    public long? Elections => TermAfter - TermBefore;

    public static RunObservation Of(IReadOnlyList<NodeStatus> before, IReadOnlyList<NodeStatus> after)
    {
        var during = BreakdownReport.StagesDuring(before, after);
        var leader = BreakdownReport.ServingLeader(after, during);
        double? MeanEntries(IEnumerable<string> nodes)
        {
            var histograms = nodes.Select(node => during[node].GetValueOrDefault("write.entries")).OfType<StageHistogram>().ToList();
            var writes = histograms.Sum(h => h.Count);
            return writes > 0 ? Math.Round(histograms.Sum(h => h.Sum) / writes, 2) : null;
        }

        return new RunObservation(
            before.Count > 0 ? before.Max(status => status.Term) : null,
            after.Count > 0 ? after.Max(status => status.Term) : null,
            LeaderOf(before), LeaderOf(after),
            leader is null ? null : MeanEntries([leader.Node]),
            leader is null ? null : MeanEntries(after.Where(status => status.Node != leader.Node).Select(status => status.Node)))
        {
            LastLogIndexAfter = after.Count == 0 ? null
                : after.Where(status => status.Role == NodeRole.Leader).MaxBy(status => status.Term)?.LastLogIndex ?? after.Max(status => status.LastLogIndex),
        };
    }

    private static string? LeaderOf(IReadOnlyList<NodeStatus> statuses) =>
        statuses.Where(status => status.Role == NodeRole.Leader).MaxBy(status => status.Term)?.Node;

    /// <summary>The status of every node that answers within a second.</summary>
    public static async Task<IReadOnlyList<NodeStatus>> StatusesAsync(IRaftNodeChannel channel, CancellationToken cancellation)
    {
        var replies = await Task.WhenAll(channel.Nodes.Select(async node =>
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            limit.CancelAfter(TimeSpan.FromSeconds(1));
            try
            {
                return await channel.GetStatusAsync(node, limit.Token);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
            {
                return null;
            }
        }));
        return replies.OfType<NodeStatus>().ToList();
    }
}
