using System.Diagnostics;
using RaftOrleans.Cli.Bench;
using RaftOrleans.Contracts;

namespace RaftOrleans.System.Tests;

/// <summary>The parts of the bench workloads' figures that need no cluster: /proc parsing, the growth
/// steps, and what the nodes' status before and after a run says (elections, entries per write).</summary>
public sealed class BenchFiguresTests
{
    [Fact]
    public void Cpu_ticks_are_user_plus_system_even_when_the_command_name_holds_spaces_and_parentheses()
    {
        // Fields 14 and 15 (utime 700, stime 42) counted after the name "(a) b)".
        const string stat = "4242 ((a) b)) S 1 4242 4242 0 -1 4194560 100 0 0 0 700 42 0 0 20 0 12 0 5000 300000 2000";

        Assert.Equal(742, ProcessFigures.CpuTicksOf(stat));
        Assert.Null(ProcessFigures.CpuTicksOf("4242 (cut short) S 1 2"));
    }

    [Fact]
    public void The_own_process_shows_the_cpu_it_spent()
    {
        var before = ProcessFigures.CpuTicks(Environment.ProcessId);
        Assert.NotNull(before);
        var process = Process.GetCurrentProcess();
        var spent = process.TotalProcessorTime;
        while ((process.TotalProcessorTime - spent).TotalMilliseconds < 100)
        {
            process.Refresh();
        }

        Assert.True(ProcessFigures.CpuTicks(Environment.ProcessId) > before, "100 ms of CPU is at least one tick");
        Assert.True(ProcessFigures.ResidentMiB(Environment.ProcessId) > 1);
        Assert.Equal(3, ProcessFigures.LoadAverage()?.Length);
    }

    [Fact]
    public void Resident_memory_comes_from_vmrss()
    {
        Assert.Equal(200.0, ProcessFigures.ResidentMiBOf("Name:\tdotnet\nVmPeak:\t  999999 kB\nVmRSS:\t  204800 kB\nThreads:\t20\n"));
        Assert.Null(ProcessFigures.ResidentMiBOf("Name:\tkthread\n"));
    }

    [Theory]
    [InlineData(10_000, 1_000_000, new long[] { 20_000, 50_000, 100_000, 200_000, 500_000, 1_000_000 })]
    [InlineData(100, 400, new long[] { 200, 400 })]
    [InlineData(583, 3_000, new long[] { 1_000, 2_000, 3_000 })]
    [InlineData(1_000, 1_500, new long[] { 1_500 })]
    public void Growth_steps_end_on_a_1_2_5_scale_and_at_the_target(long from, long to, long[] expected)
    {
        Assert.Equal(expected, GrowthWorkload.Boundaries(from, to));
    }

    [Fact]
    public void Elections_are_the_terms_begun_and_entries_per_write_come_from_the_serving_node()
    {
        var before = new[]
        {
            Status("n1", "leader", 3, "n1", (Writes: 10, Entries: 40), proposals: 100),
            Status("n2", "follower", 3, "n1", (Writes: 10, Entries: 50), proposals: 0),
        };
        var after = new[]
        {
            // n2 took over and served the run's writes: 20 writes carrying 200 entries more than before.
            Status("n1", "follower", 5, "n2", (Writes: 12, Entries: 50), proposals: 101),
            Status("n2", "leader", 5, "n2", (Writes: 30, Entries: 250), proposals: 200),
        };

        var observed = RunObservation.Of(before, after);

        Assert.Equal(2, observed.Elections);
        Assert.Equal(("n1", "n2"), (observed.LeaderBefore, observed.LeaderAfter));
        Assert.Equal(10.0, observed.EntriesPerWrite);
        Assert.Equal(5.0, observed.EntriesPerWriteFollowers);
        Assert.Null(RunObservation.Of([], after).Elections);
    }

    private static NodeStatus Status(string node, string role, long term, string leader, (int Writes, double Entries) writes, long proposals) =>
        new(node, node, Enum.Parse<NodeRole>(role, ignoreCase: true), term, leader, 0, 0, 0, 0)
        {
            Stages =
            [
                new StageHistogram("write.entries", "entries", writes.Writes, writes.Entries, [StageBuckets.Of(writes.Entries / Math.Max(1, writes.Writes))], [writes.Writes]),
                new StageHistogram("propose.total", "ms", proposals, proposals, proposals > 0 ? [StageBuckets.Of(1)] : [], proposals > 0 ? [proposals] : []),
            ],
        };
}
