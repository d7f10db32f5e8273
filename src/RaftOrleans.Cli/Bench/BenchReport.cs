using System.Globalization;

namespace RaftOrleans.Cli.Bench;

/// <summary>The tables `raftctl bench cluster` prints, and the CSV files and SVG plots it writes.</summary>
public static class BenchReport
{
    public const string ThroughputCsv = "throughput.csv";
    public const string FailoverCsv = "failover.csv";
    public const string FailoverWritesCsv = "failover-writes.csv";
    public const string ThroughputSvg = "throughput.svg";
    public const string LatencySvg = "latency.svg";
    public const string FailoverSvg = "failover.svg";

    private const string Blue = "#1f77b4", Orange = "#ff7f0e", Green = "#2ca02c", Red = "#d62728", Grey = "#555555";

    public static void WriteThroughputHeader(TextWriter output) =>
        output.WriteLine($"{"kind",-6} {"clients",7} {"ops/s",9} {"p50 ms",8} {"p90 ms",8} {"p99 ms",8} {"max ms",8} {"ops",8} {"errors",7}");

    public static void WriteThroughputRow(TextWriter output, LatencySummary row) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{row.Kind,-6} {row.Clients,7} {row.OperationsPerSecond,9:0} {row.LatencyMsP50,8:0.0} {row.LatencyMsP90,8:0.0} {row.LatencyMsP99,8:0.0} {row.LatencyMsMax,8:0.0} {row.Operations,8} {row.Errors,7}"));

    public static void WriteFailoverHeader(TextWriter output) =>
        output.WriteLine($"{"round",5} {"killed",6} {"new leader",10} {"term",9} {"elected ms",10} {"write gap ms",12} {"failed writes",13} {"catch-up s",10}");

    public static void WriteFailoverRow(TextWriter output, FailoverResult row) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{row.Round,5} {row.Killed,6} {row.NewLeader ?? "none",10} {$"{row.OldTerm}->{row.NewTerm}",9} {Ms(row.LeaderElectedMs),10} {Ms(row.GapMs),12} {row.FailedWrites,13} {Seconds(row.CatchUpSeconds),10}"));

    /// <summary>Median and maximum of the rounds' figures; a round where something never happened counts as missing.</summary>
    public static void WriteFailoverSummary(TextWriter output, IReadOnlyList<FailoverResult> rounds)
    {
        foreach (var (name, pick) in new (string, Func<IReadOnlyList<double>, double>)[] { ("median", Median), ("max", values => values.Max()) })
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-32} {Ms(Summarise(rounds.Select(r => r.LeaderElectedMs), pick)),10} {Ms(Summarise(rounds.Select(r => r.GapMs), pick)),12}"));
        }

        var missing = rounds.Count(round => round.LeaderElectedMs is null || round.GapMs is null);
        if (missing > 0)
        {
            output.WriteLine($"{missing} round(s) saw no new leader or no write succeed within the limit");
        }
    }

    /// <summary>Nearest-rank median (the lower middle value for an even count), like the other percentiles.</summary>
    public static double Median(IReadOnlyList<double> values) => Percentiles.OfSorted(values.Order().ToList(), 50);

    /// <summary>Writes the CSV files and plots into <paramref name="directory"/>; returns their paths.</summary>
    public static IReadOnlyList<string> Save(string directory, string caption, IReadOnlyList<LatencySummary> writes, LatencySummary? reads, IReadOnlyList<FailoverResult> rounds)
    {
        Directory.CreateDirectory(directory);
        var files = new List<string>();
        void Write(string name, string text)
        {
            var path = Path.Combine(directory, name);
            File.WriteAllText(path, text);
            files.Add(path);
        }

        var phases = reads is null ? writes : [.. writes, reads];
        Write(ThroughputCsv, CsvTable.Render(
            ["kind", "clients", "ops", "errors", "seconds", "ops_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms"],
            phases.Select(p => (IReadOnlyList<object?>)[p.Kind, p.Clients, p.Operations, p.Errors, p.Seconds, p.OperationsPerSecond, p.LatencyMsP50, p.LatencyMsP90, p.LatencyMsP99, p.LatencyMsMax])));
        Write(ThroughputSvg, ThroughputChart(caption, writes, reads).Render());
        Write(LatencySvg, LatencyChart(caption, writes).Render());
        if (rounds.Count > 0)
        {
            Write(FailoverCsv, CsvTable.Render(
                ["round", "killed", "old_term", "new_leader", "new_term", "leader_elected_ms", "write_gap_ms", "gap_from_ms", "gap_to_ms", "failed_writes", "catch_up_s"],
                rounds.Select(r => (IReadOnlyList<object?>)[r.Round, r.Killed, r.OldTerm, r.NewLeader, r.NewTerm, r.LeaderElectedMs, r.GapMs,
                    r.Gap?.FromMs - r.KillMs, r.Gap?.ToMs - r.KillMs, r.FailedWrites, r.CatchUpSeconds])));
            Write(FailoverWritesCsv, CsvTable.Render(
                ["round", "start_ms_after_kill", "end_ms_after_kill", "latency_ms", "ok"],
                rounds.SelectMany(r => r.Samples.Select(s => (IReadOnlyList<object?>)[r.Round, s.StartMs - r.KillMs, s.EndMs - r.KillMs, s.LatencyMs, s.Succeeded ? 1 : 0]))));
            Write(FailoverSvg, FailoverChart(caption, MedianRound(rounds)).Render());
        }

        return files;
    }

    public static SvgChart ThroughputChart(string caption, IReadOnlyList<LatencySummary> writes, LatencySummary? reads)
    {
        var levels = writes.Select(w => (double)w.Clients).Concat(reads is null ? [] : [reads.Clients]).Distinct().Order().ToList();
        var chart = new SvgChart($"Throughput vs clients ({caption})", new ChartAxis("concurrent clients (closed loop)", Logarithmic: true, Ticks: levels), new ChartAxis("operations per second"))
            .Add(new ChartSeries("writes (put)", Blue, writes.Select(w => ((double)w.Clients, w.OperationsPerSecond)).ToList()));
        return reads is null ? chart : chart.Add(new ChartSeries("linearizable reads", Orange, [(reads.Clients, reads.OperationsPerSecond)], Joined: false));
    }

    public static SvgChart LatencyChart(string caption, IReadOnlyList<LatencySummary> writes)
    {
        var levels = writes.Select(w => (double)w.Clients).ToList();
        return new SvgChart($"Write latency vs clients ({caption})", new ChartAxis("concurrent clients (closed loop)", Logarithmic: true, Ticks: levels), new ChartAxis("latency (ms)"))
            .Add(new ChartSeries("p50", Blue, writes.Select(w => ((double)w.Clients, w.LatencyMsP50)).ToList()))
            .Add(new ChartSeries("p90", Orange, writes.Select(w => ((double)w.Clients, w.LatencyMsP90)).ToList()))
            .Add(new ChartSeries("p99", Red, writes.Select(w => ((double)w.Clients, w.LatencyMsP99)).ToList()));
    }

    /// <summary>Every write of one round as a dot at its completion time (seconds after the kill) and its latency.</summary>
    public static SvgChart FailoverChart(string caption, FailoverResult round)
    {
        var ok = round.Samples.Where(s => s.Succeeded).Select(s => ((s.EndMs - round.KillMs) / 1000, s.LatencyMs)).ToList();
        var failed = round.Samples.Where(s => !s.Succeeded).Select(s => ((s.EndMs - round.KillMs) / 1000, s.LatencyMs)).ToList();
        var chart = new SvgChart($"Writes around a leader kill, round {round.Round} ({caption})", new ChartAxis("seconds after SIGKILL of the leader (write completion)"), new ChartAxis("write latency (ms)"))
            .Add(new ChartSeries("write ok", Blue, ok, Joined: false));
        if (failed.Count > 0)
        {
            chart.Add(new ChartSeries("write failed", Red, failed, Joined: false));
        }

        if (round.Gap is { } gap)
        {
            chart.Add(new ChartBand((gap.FromMs - round.KillMs) / 1000, (gap.ToMs - round.KillMs) / 1000,
                string.Create(CultureInfo.InvariantCulture, $"no write ok: {gap.LengthMs:0} ms"), Red));
        }

        chart.Add(new ChartMarker(0, $"{round.Killed} killed", Grey));
        if (round.LeaderElectedMs is { } elected)
        {
            chart.Add(new ChartMarker(elected / 1000, string.Create(CultureInfo.InvariantCulture, $"{round.NewLeader} leader: {elected:0} ms"), Green));
        }

        return chart;
    }

    /// <summary>The round whose write gap is the median, so the plot shows a typical failover, not the best or worst.</summary>
    public static FailoverResult MedianRound(IReadOnlyList<FailoverResult> rounds)
    {
        var ordered = rounds.OrderBy(r => r.GapMs ?? double.MaxValue).ToList();
        return ordered[(ordered.Count - 1) / 2];
    }

    private static double Summarise(IEnumerable<double?> values, Func<IReadOnlyList<double>, double> pick)
    {
        var present = values.OfType<double>().ToList();
        return present.Count > 0 ? pick(present) : double.NaN;
    }

    private static string Ms(double? value) => value is { } ms && double.IsFinite(ms) ? ms.ToString("0", CultureInfo.InvariantCulture) : "-";

    private static string Seconds(double? value) => value is { } s ? s.ToString("0.0", CultureInfo.InvariantCulture) : "-";
}
