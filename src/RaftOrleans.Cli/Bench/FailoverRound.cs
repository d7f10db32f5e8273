using System.Diagnostics;
using RaftOrleans.Client;
using RaftOrleans.Client.Connections;
using RaftOrleans.Contracts;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Bench;

/// <summary>What one failover round measured. Times are milliseconds on the benchmark clock; the kill is at
/// <see cref="KillMs"/>. Null figures mean the thing did not happen within its limit.</summary>
public sealed record FailoverResult(
    int Round, string Killed, long OldTerm, string? NewLeader, long NewTerm, double KillMs,
    double? LeaderElectedMs, UnavailabilityGap? Gap, double? CatchUpSeconds, IReadOnlyList<WriteSample> Samples)
{
    public double? GapMs => Gap?.LengthMs;

    public long FailedWrites => Samples.Count(sample => !sample.Succeeded);
}

/// <summary>
/// One failover round on a real cluster: writers run; the leader is killed with SIGKILL; the survivors'
/// status is polled until they agree on a new leader of a later term; the writers run on until writes
/// succeed again and a little after; then the killed node is restarted and the round waits until it has
/// applied everything the leader committed, so every round starts from a whole, caught-up cluster.
/// </summary>
/// <param name="writers">Closed-loop writers that run through the kill.</param>
/// <param name="valueBytes">The size of each value they put.</param>
public sealed class FailoverRound(ClusterLauncher launcher, int writers, int valueBytes, Stopwatch clock, TextWriter progress, CancellationToken cancellation)
{
    private static readonly TimeSpan StatusCallLimit = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan StatusPollPause = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan WritersWarmUp = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ElectionLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan WritesAfterRecovery = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(180);

    /// <summary>Short, so a write stuck on the dead leader gives up and retries elsewhere within the round.</summary>
    public static readonly RaftKvClientOptions WriterOptions = new() { OverallDeadline = TimeSpan.FromSeconds(5) };

    public async Task<FailoverResult> RunAsync(int round, string runId)
    {
        var state = launcher.State;
        var majority = state.Voters.Count / 2 + 1;
        await using var channel = new OrleansNodeChannel(state.Endpoints());
        var (leader, oldTerm) = await AgreedLeaderAsync(channel, channel.Nodes, majority, _ => true)
            ?? throw new LauncherException($"failover round {round}: no leader agreed by a majority before the kill");

        var lastSuccessMs = new LastSuccess();
        var value = new string('f', valueBytes);
        var clients = new ClosedLoopClients(channel, WriterOptions, clock);
        using var stopWriters = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var writersFromMs = clock.Elapsed.TotalMilliseconds;
        var running = clients.RunAsync(writers, async (client, index, n) =>
        {
            await client.PutAsync($"bench-{runId}/failover{round}/c{index}/k{n % 64}", value);
            lastSuccessMs.Record(clock.Elapsed.TotalMilliseconds);
        }, duration: null, stopWriters.Token);

        var killMs = double.NaN;
        var killed = false;
        try
        {
            await Task.Delay(WritersWarmUp, cancellation);
            await WaitAsync(() => lastSuccessMs.Ms > writersFromMs, ElectionLimit);
            killMs = clock.Elapsed.TotalMilliseconds;
            launcher.Kill(leader);
            killed = true;

            var survivors = channel.Nodes.Where(node => node != leader).ToArray();
            var elected = await AgreedLeaderAsync(channel, survivors, majority, status => status.Term > oldTerm);
            double? leaderElectedMs = elected is null ? null : clock.Elapsed.TotalMilliseconds - killMs;
            if (await WaitAsync(() => lastSuccessMs.Ms > killMs, ElectionLimit))
            {
                await Task.Delay(WritesAfterRecovery, cancellation);
            }

            stopWriters.Cancel();
            var samples = await running;
            var gap = FailoverGap.Find(samples, killMs, writersFromMs);

            launcher.Start(leader);
            killed = false;
            var catchUpSeconds = await CatchUpAsync(leader);
            return new FailoverResult(round, leader, oldTerm, elected?.Leader, elected?.Term ?? 0, killMs, leaderElectedMs, gap, catchUpSeconds, samples);
        }
        finally
        {
            stopWriters.Cancel();
            await running.ContinueWith(_ => { }, TaskScheduler.Default);
            if (killed && !SiloProcess.IsRunning(launcher.State, launcher.State.Node(leader)))
            {
                // Interrupted between kill and restart: leave the cluster whole (it may be the user's own).
                launcher.Start(leader);
            }
        }
    }

    /// <summary>Polls <paramref name="nodes"/> until one is leader, <paramref name="acceptable"/>, and named by
    /// <paramref name="majority"/> of them (itself included) in its term; null after <see cref="ElectionLimit"/>.</summary>
    private async Task<(string Leader, long Term)?> AgreedLeaderAsync(IRaftNodeChannel channel, IReadOnlyList<string> nodes, int majority, Func<NodeStatus, bool> acceptable)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < ElectionLimit)
        {
            var statuses = await Task.WhenAll(nodes.Select(node => StatusOrNullAsync(channel, node)));
            var answered = statuses.OfType<NodeStatus>().ToList();
            foreach (var leader in answered.Where(status => status.Role == NodeRole.Leader && acceptable(status)))
            {
                if (answered.Count(status => status.Leader == leader.Node && status.Term == leader.Term) >= majority)
                {
                    return (leader.Node, leader.Term);
                }
            }

            await Task.Delay(StatusPollPause, cancellation);
        }

        return null;
    }

    private async Task<NodeStatus?> StatusOrNullAsync(IRaftNodeChannel channel, string node)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        limit.CancelAfter(StatusCallLimit);
        try
        {
            return await channel.GetStatusAsync(node, limit.Token);
        }
        catch (Exception) when (!cancellation.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Seconds until the restarted node has applied what the leader committed (writers are stopped,
    /// so that index stands still); null when it did not within the limit.</summary>
    private async Task<double?> CatchUpAsync(string node)
    {
        var started = Stopwatch.StartNew();
        // Fails at once, with the end of its log, if the restarted silo exits.
        await launcher.WaitUntilAnswersAsync(node, CatchUpLimit, cancellation);
        var endpoints = launcher.State.Endpoints();
        while (started.Elapsed < CatchUpLimit)
        {
            var state = launcher.State;
            if (!SiloProcess.IsRunning(state, state.Node(node)))
            {
                // A silo starved of CPU can be declared dead by the others and stop itself.
                throw new LauncherException($"{node} exited while catching up; see {state.LogFile(node)}");
            }

            var rows = await NodeStatusReader.ReadAsync(endpoints, NodeStatusReader.DefaultTimeout, cancellation);
            var restarted = rows.Single(row => row.Node == node).Status;
            var leader = rows.Select(row => row.Status).FirstOrDefault(status => status?.Role == NodeRole.Leader);
            if (restarted is not null && leader is not null && restarted.AppliedIndex >= leader.CommitIndex)
            {
                return started.Elapsed.TotalSeconds;
            }

            await Task.Delay(250, cancellation);
        }

        progress.WriteLine($"raftctl bench: {node} did not catch up within {CatchUpLimit.TotalSeconds:0} s");
        return null;
    }

    private async Task<bool> WaitAsync(Func<bool> condition, TimeSpan limit)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > limit)
            {
                return false;
            }

            await Task.Delay(20, cancellation);
        }

        return true;
    }

    /// <summary>The completion time of the latest successful write, shared by the writers.</summary>
    private sealed class LastSuccess
    {
        private long _bits = BitConverter.DoubleToInt64Bits(double.NegativeInfinity);

        public double Ms => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _bits));

        public void Record(double ms)
        {
            var bits = BitConverter.DoubleToInt64Bits(ms);
            long seen;
            do
            {
                seen = Interlocked.Read(ref _bits);
                if (BitConverter.Int64BitsToDouble(seen) >= ms)
                {
                    return;
                }
            }
            while (Interlocked.CompareExchange(ref _bits, bits, seen) != seen);
        }
    }
}
