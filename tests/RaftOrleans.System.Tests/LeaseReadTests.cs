using RaftOrleans.Contracts;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Launcher;

namespace RaftOrleans.System.Tests;

public sealed class LeaseReadCluster() : TestCluster(basePort: 25900)
{
    protected override UpOptions Options => new() { Nodes = 3 };
}

/// <summary>Lease reads (`raftctl load --lease`: every get may be answered from the leader's lease) under the
/// faults that break leases when they are wrong: a leader frozen past its lease (SIGSTOP: it resumes believing
/// it leads), a leader cut off from the others while it still holds a lease, and a leader killed and
/// restarted. The recorded history, with final reads, must be linearizable: a stale lease read would show as
/// a read of an overwritten value.</summary>
[Collection(RealProcesses.Name)]
public sealed class LeaseReadTests(LeaseReadCluster cluster) : IClassFixture<LeaseReadCluster>
{
    private const int ClusterSize = 3;
    private static readonly TimeSpan ElectionLimit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Lease_reads_under_pause_isolation_and_kill_of_the_leader_stay_linearizable()
    {
        await cluster.EnsureHealthyAsync();
        var leaseReadsBefore = await LeaseReadsAsync();
        var history = await MembershipRun.UnderLoadAsync(cluster, async () =>
        {
            // Frozen past the election timeout (the others elect and write meanwhile) but not past the clients'
            // read attempt limit (2 s): the reads that queued at the frozen leader are still awaited when it
            // wakes, believing it leads. Only a lease timed on a clock that ran on while it was frozen refuses them.
            var frozen = await LeaderAsync();
            cluster.Launcher.Pause(frozen);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1.5));
            }
            finally
            {
                cluster.Launcher.Resume(frozen);
            }
            // Frozen long enough, Orleans' membership declares the silo dead and it shuts itself down on waking
            // (with the fast membership options the silos run); then it is started again, as an operator would.
            await Task.Delay(TimeSpan.FromSeconds(3));
            await cluster.EnsureHealthyAsync();

            var isolated = await LeaderAsync();
            await FaultAsync("isolate", isolated);
            try
            {
                await cluster.WaitForAsync($"a new leader while {isolated} is isolated",
                    rows => rows.Any(row => row.Node != isolated && row.Status?.Role == NodeRole.Leader), ElectionLimit);
            }
            finally
            {
                await FaultAsync("heal");
            }
            await Task.Delay(TimeSpan.FromSeconds(2));

            var killed = await LeaderAsync();
            cluster.Launcher.Kill(killed);
            await cluster.WaitForAsync($"a new leader after {killed} was killed",
                rows => TestCluster.AgreedLeader(rows, ClusterSize - 1) is { } leader && leader != killed, ElectionLimit);
            cluster.Launcher.Start(killed);
            await cluster.Launcher.WaitUntilAnswersAsync(killed, TestCluster.StartLimit);
        }, "--lease");

        Assert.True(await LeaseReadsAsync() > leaseReadsBefore + 20, "the load made (almost) no lease reads");
        await FinalReads.AssertLinearizableAsync(cluster, history);
    }

    private async Task<string> LeaderAsync()
    {
        var rows = await cluster.WaitForAsync("an agreed leader",
            rows => TestCluster.AgreedLeader(rows, ClusterSize) is not null, ElectionLimit);
        return TestCluster.AgreedLeader(rows, ClusterSize)!;
    }

    /// <summary>Lease reads asked of the nodes so far (the nodes' own count; a restarted node starts again at 0).</summary>
    private async Task<long> LeaseReadsAsync() =>
        (await cluster.StatusAsync()).Where(row => row.Status is not null).Sum(row => row.Status!.Counters.ReadsLease);

    private async Task FaultAsync(string verb, params string[] words)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await FaultCommand.RunAsync(verb, [.. words, "--cluster-dir", cluster.Directory], output, error);
        Assert.True(exitCode == 0, $"raftctl {verb} {string.Join(" ", words)} exited {exitCode}: {output}{error}");
    }
}
