using System.Globalization;
using System.Xml.Linq;
using RaftOrleans.Cli.Bench;
using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

/// <summary>`raftctl bench cluster` end to end on its own 3-node cluster, with tiny durations: it measures,
/// writes sane tables and plots, and leaves no silo running. The figures themselves are not judged here
/// (timing goals belong to the benchmark's output, not to a test).</summary>
[Collection(RealProcesses.Name)]
public sealed class BenchClusterTests : IDisposable
{
    private const int BasePort = 24100;
    private readonly string _directory = Directory.CreateTempSubdirectory("raftorleans-bench-").FullName;

    private string ClusterDirectory => Path.Combine(_directory, "cluster");
    private string OutputDirectory => Path.Combine(_directory, "out");

    public void Dispose()
    {
        if (ClusterState.TryLoad(ClusterDirectory) is not null)
        {
            new ClusterLauncher(RepositoryRoot.Find(), ClusterDirectory, TextWriter.Null).Down();
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_short_run_measures_writes_reads_and_one_failover_and_stops_its_cluster()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(4));

        var exit = await BenchClusterCommand.RunAsync(
            ["--nodes", "3", "--base-port", BasePort.ToString(CultureInfo.InvariantCulture), "--cluster-dir", ClusterDirectory, "--out", OutputDirectory,
             "--seconds", "1", "--clients", "1,4", "--read-clients", "2", "--failover-rounds", "1", "--failover-clients", "2", "--warmup", "0.5"],
            output, error, limit.Token, TestSilo.Dll);

        Assert.True(exit == 0, $"exit {exit}\n{output}\n{error}");
        Assert.Contains("warm-up, 0.5 s of writes at 4 clients (not counted)", error.ToString());
        var state = ClusterState.Load(ClusterDirectory);
        Assert.All(state.Nodes, node => Assert.False(SiloProcess.IsRunning(state, node), $"{node.Node} still running"));

        var throughput = Rows(BenchReport.ThroughputCsv);
        Assert.Equal(["write:1", "write:4", "read:2"], throughput.Select(row => $"{row["kind"]}:{row["clients"]}"));
        Assert.All(throughput, row =>
        {
            Assert.True(Number(row, "ops") > 0, $"no {row["kind"]} succeeded at {row["clients"]} clients");
            Assert.True(Number(row, "ops_per_s") > 0);
            Assert.True(Number(row, "p50_ms") > 0 && Number(row, "p50_ms") <= Number(row, "p99_ms") && Number(row, "p99_ms") <= Number(row, "max_ms"));
        });

        var failover = Assert.Single(Rows(BenchReport.FailoverCsv));
        Assert.NotEqual(failover["killed"], failover["new_leader"]);
        Assert.True(Number(failover, "new_term") > Number(failover, "old_term"));
        Assert.True(Number(failover, "leader_elected_ms") > 0);
        Assert.True(Number(failover, "write_gap_ms") > 0);
        Assert.True(Number(failover, "gap_to_ms") > 0, "the gap must end after the kill");

        foreach (var plot in new[] { BenchReport.ThroughputSvg, BenchReport.LatencySvg, BenchReport.FailoverSvg })
        {
            var svg = XDocument.Load(Path.Combine(OutputDirectory, plot));
            Assert.Contains(svg.Descendants(), element => (string?)element.Attribute("class") == "point");
        }

        Assert.Contains("median", output.ToString());
        Assert.Contains(NodeFiguresTable.CpuTitle, output.ToString());
        // Every node answered before and after the levels, so the count is a number, not "-".
        Assert.Matches(@"elections during the levels: \d+ \(term \d+ -> \d+, leader n\d -> n\d\)", output.ToString());
    }

    private List<Dictionary<string, string>> Rows(string csv)
    {
        var lines = File.ReadAllLines(Path.Combine(OutputDirectory, csv));
        var header = lines[0].Split(',');
        return lines[1..].Select(line => header.Zip(line.Split(',')).ToDictionary(pair => pair.First, pair => pair.Second)).ToList();
    }

    private static double Number(Dictionary<string, string> row, string column) => double.Parse(row[column], CultureInfo.InvariantCulture);
}
