using System.Text;
using RaftOrleans.Contracts;

namespace RaftOrleans.Cluster.Tests;

public static class LogChecks
{
    public static byte[] Command(string text) => Encoding.UTF8.GetBytes(text);

    public static async Task<CommittedEntry[]> CommittedLogAsync(this RaftTestCluster cluster, string node) =>
        await cluster.Node(node).ReadCommittedLog(1, 100_000);

    /// <summary>The commands (not no-ops) of a committed log, as text, in log order.</summary>
    public static string[] Commands(CommittedEntry[] log) =>
        log.Where(e => e.Kind == 0).Select(e => Encoding.UTF8.GetString(e.Data)).ToArray();

    /// <summary>Waits until every one of <paramref name="nodes"/> has committed at least
    /// <paramref name="commitIndex"/>, then asserts their committed logs agree entry by entry
    /// (State Machine Safety, §5.4.3).</summary>
    public static async Task<CommittedEntry[]> AssertLogsAgreeAsync(this RaftTestCluster cluster, IReadOnlyCollection<string> nodes, long commitIndex)
    {
        await Poll.UntilAsync(() => cluster.StatusesAsync(nodes),
            s => s.Count == nodes.Count && s.All(n => n.CommitIndex >= commitIndex && n.AppliedIndex >= commitIndex),
            TimeSpan.FromSeconds(15), $"{string.Join(",", nodes)} to commit and apply {commitIndex}", ClusterViews.Describe);
        CommittedEntry[]? reference = null;
        string? referenceNode = null;
        foreach (var node in nodes)
        {
            var log = (await cluster.CommittedLogAsync(node)).Take((int)commitIndex).ToArray();
            Assert.Equal(commitIndex, log.Length);
            if (reference is null)
            {
                reference = log;
                referenceNode = node;
                continue;
            }
            for (var i = 0; i < log.Length; i++)
            {
                var (a, b) = (reference[i], log[i]);
                Assert.True(a.Index == b.Index && a.Term == b.Term && a.Kind == b.Kind && a.Data.AsSpan().SequenceEqual(b.Data),
                    $"entry {i + 1} differs: {referenceNode} has {a.Index}@{a.Term} kind {a.Kind}, {node} has {b.Index}@{b.Term} kind {b.Kind}");
            }
        }
        return reference!;
    }
}
