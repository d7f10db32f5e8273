using RaftOrleans.Cli.Kv;
using RaftOrleans.History;
using RaftOrleans.History.Checker;

namespace RaftOrleans.System.Tests;

public static class FinalReads
{
    /// <summary>Reads every key of the run once more after it, as one more process, and checks the whole
    /// history: a write acknowledged during the run and then lost would make these reads non-linearizable.</summary>
    public static Task AssertLinearizableAsync(TestCluster cluster, List<HistoryEvent> history) =>
        AssertLinearizableAsync(["--cluster-dir", cluster.Directory], history);

    /// <summary>The same against any cluster <paramref name="target"/> names (--cluster-dir or --client-config).</summary>
    public static async Task AssertLinearizableAsync(string[] target, List<HistoryEvent> history)
    {
        var extended = new List<HistoryEvent>(history);
        var time = history.Max(e => e.TimeNs);
        var process = history.Max(e => e.Process) + 1;
        foreach (var key in history.Select(e => e.Key).Distinct().Order(StringComparer.Ordinal))
        {
            var output = new StringWriter();
            var error = new StringWriter();
            var exitCode = await KvCommandLine.RunAsync("get", [key, .. target], output, error);
            Assert.True(exitCode is 0 or 1, $"final read of {key}: exit {exitCode}: {error}");
            var value = exitCode == 0 ? output.ToString().TrimEnd('\n') : null;
            extended.Add(new HistoryEvent(process, HistoryEventType.Invoke, HistoryFunction.Get, key, null, null, ++time));
            extended.Add(new HistoryEvent(process, HistoryEventType.Ok, HistoryFunction.Get, key, value, null, ++time));
        }

        var result = LinearizabilityChecker.Check(extended, TimeSpan.FromSeconds(60));
        Assert.True(result.Verdict == CheckVerdict.Linearizable, result.Describe());
    }
}
