using System.Xml.Linq;
using RaftOrleans.Cli.Bench;

namespace RaftOrleans.Cli.Tests.Bench;

public sealed class BenchReportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("raftctl-bench-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Csv_quotes_text_with_separators_and_writes_numbers_with_a_decimal_point()
    {
        var csv = CsvTable.Render(["name", "value", "missing"],
            [["plain", 1.5, null], ["with, comma", 1234.5678, double.NaN], ["say \"hi\"", 7L, 2]]);

        Assert.Equal("name,value,missing\nplain,1.5,\n\"with, comma\",1234.568,\n\"say \"\"hi\"\"\",7,2\n", csv);
    }

    [Fact]
    public void Csv_refuses_a_row_that_does_not_match_the_header() =>
        Assert.Throws<ArgumentException>(() => CsvTable.Render(["a", "b"], [["only one"]]));

    [Fact]
    public void Save_writes_every_table_and_plot_and_the_plots_parse()
    {
        LatencySummary[] writes = [LatencySummary.Of("write", 1, [2, 3, 4], 0, 1), LatencySummary.Of("write", 4, [5, 6, 7, 8], 1, 1)];
        var reads = LatencySummary.Of("read", 4, [1, 1, 2], 0, 1);
        var samples = new[] { new WriteSample(900, 990, true), new WriteSample(995, 3000, true), new WriteSample(1000, 2000, false) };
        var round = new FailoverResult(1, "n1", 2, "n2", 3, KillMs: 1000, LeaderElectedMs: 800,
            FailoverGap.Find(samples, 1000, 0), CatchUpSeconds: 4.5, samples);

        var files = BenchReport.Save(_directory, "3 nodes, sqlite", writes, reads, [round]);

        Assert.Equal(6, files.Count);
        Assert.All(files, file => Assert.True(new FileInfo(file).Length > 0, file));
        var throughput = File.ReadAllLines(Path.Combine(_directory, BenchReport.ThroughputCsv));
        Assert.Equal(["write,1,3,0,1,3,3,4,4,4", "write,4,4,1,1,4,6,8,8,8", "read,4,3,0,1,3,1,2,2,2"], throughput[1..]);
        var failover = File.ReadAllLines(Path.Combine(_directory, BenchReport.FailoverCsv));
        Assert.Equal("1,n1,2,n2,3,800,2010,-10,2000,1,4.5", failover[1]);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(_directory, BenchReport.FailoverWritesCsv)).Length);
        foreach (var svg in files.Where(file => file.EndsWith(".svg", StringComparison.Ordinal)))
        {
            Assert.Equal("svg", XDocument.Load(svg).Root!.Name.LocalName);
        }
    }

    [Fact]
    public void The_failover_plot_shades_the_gap_and_marks_the_kill_and_the_election()
    {
        var samples = new[] { new WriteSample(0, 990, true), new WriteSample(1500, 3000, true) };
        var round = new FailoverResult(2, "n3", 4, "n1", 5, KillMs: 1000, LeaderElectedMs: 700, FailoverGap.Find(samples, 1000, 0), 3, samples);

        var document = XDocument.Parse(BenchReport.FailoverChart("3 nodes", round).Render());
        XNamespace svg = "http://www.w3.org/2000/svg";

        Assert.Single(document.Descendants(svg + "rect"), rect => (string?)rect.Attribute("class") == "band");
        Assert.Equal(2, document.Descendants(svg + "line").Count(line => (string?)line.Attribute("class") == "marker"));
        Assert.Contains(document.Descendants(svg + "text"), text => text.Value == "no write ok: 2010 ms");
    }

    [Fact]
    public void The_median_round_is_the_middle_gap_and_a_round_without_recovery_counts_as_the_longest()
    {
        FailoverResult Round(int number, double? gapMs) => new(number, "n1", 1, "n2", 2, 0, 100,
            gapMs is { } ms ? new UnavailabilityGap(0, ms) : null, 1, []);

        Assert.Equal(3, BenchReport.MedianRound([Round(1, 900), Round(2, 5000), Round(3, 1200)]).Round);
        Assert.Equal(3, BenchReport.MedianRound([Round(1, null), Round(2, 900), Round(3, 1200)]).Round);
        Assert.Equal(2, BenchReport.Median([3, 1, 2, 10]));
    }
}
