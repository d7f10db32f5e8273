using RaftOrleans.Contracts;
using System.Globalization;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Bench;

/// <summary>
/// `bench growth`: write throughput as the log grows. The warm-up fills the log to --from entries; the
/// measured run goes on to --entries, in steps on a 1-2-5 scale (10k, 20k, 50k, 100k, ... up to N), each
/// step its own throughput and latency. Many closed-loop clients (128 by default) keep the leader's
/// batches large, so a million entries take minutes, not hours. Each client puts its own 64 keys in turn:
/// the log grows, the store does not, so a slowdown belongs to the log (and its compaction).
/// </summary>
public static class GrowthWorkload
{
    /// <summary>With no successful write for this long the run stops and says how far it got.</summary>
    private static readonly TimeSpan StallLimit = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(10);

    public static async Task FillAsync(WorkloadContext context)
    {
        var from = context.Settings.FromEntries;
        var start = await LeaderLastIndexAsync(context);
        if (start >= context.Settings.Entries)
        {
            throw new LauncherException($"the log already holds {start:N0} entries, not fewer than --entries {context.Settings.Entries:N0}");
        }

        if (start >= from)
        {
            return;
        }

        context.Progress.WriteLine($"raftctl bench growth: warm-up, filling the log from {start:N0} to {from:N0} entries (not counted)");
        var (crossed, _) = await WriteUntilAsync(context, start, [from]);
        if (crossed.Count == 0)
        {
            throw new LauncherException($"the warm-up could not fill the log to {from:N0} entries: no write succeeded for {StallLimit.TotalSeconds:0} s");
        }
    }

    public static async Task<WorkloadResult> RunAsync(WorkloadContext context)
    {
        var settings = context.Settings;
        var start = await LeaderLastIndexAsync(context);
        var targets = Boundaries(Math.Max(start, settings.FromEntries), settings.Entries).Where(target => target > start).ToList();
        context.Progress.WriteLine($"raftctl bench growth: {settings.Clients} clients, from {start:N0} entries to {settings.Entries:N0}, steps at {string.Join(", ", targets.Select(t => t.ToString("N0", CultureInfo.InvariantCulture)))}");
        var runFromMs = context.Clock.Elapsed.TotalMilliseconds;
        var (crossed, samples) = await WriteUntilAsync(context, start, targets);

        var steps = new List<GrowthStep>();
        var (fromEntries, fromMs) = (start, runFromMs);
        foreach (var (entries, atMs) in crossed)
        {
            var inStep = samples.Where(s => s.EndMs > fromMs && s.EndMs <= atMs).ToList();
            var summary = LatencySummary.Of("write", settings.Clients, inStep.Where(s => s.Succeeded).Select(s => s.LatencyMs).ToList(), inStep.Count(s => !s.Succeeded), (atMs - fromMs) / 1000);
            steps.Add(new GrowthStep(fromEntries, entries, Math.Round(summary.Seconds, 3), summary.Operations, Math.Round(summary.OperationsPerSecond, 1), LatencyFigures.Of(summary)));
            (fromEntries, fromMs) = (entries, atMs);
        }

        var endMs = crossed.Count > 0 ? crossed[^1].AtMs : context.Clock.Elapsed.TotalMilliseconds;
        var counted = samples.Where(s => s.EndMs <= endMs).ToList();
        var total = LatencySummary.Of("write", settings.Clients, counted.Where(s => s.Succeeded).Select(s => s.LatencyMs).ToList(), counted.Count(s => !s.Succeeded), (endMs - runFromMs) / 1000);
        return new WorkloadResult(total, Complete: crossed.Count == targets.Count) { Steps = steps };
    }

    /// <summary>The step ends on a 1-2-5 scale strictly above <paramref name="from"/> and below
    /// <paramref name="to"/>, then <paramref name="to"/> itself.</summary>
    public static IReadOnlyList<long> Boundaries(long from, long to)
    {
        var ends = new List<long>();
        for (long decade = 1; decade <= to; decade *= 10)
        {
            foreach (var factor in new long[] { 1, 2, 5 })
            {
                var end = decade * factor;
                if (end > from && end < to) ends.Add(end);
            }
        }

        ends.Add(to);
        return ends;
    }

    /// <summary>Runs the clients until the log, reckoned as <paramref name="start"/> plus the successful
    /// writes, has passed every target, noting when it passed each; stops early after <see cref="StallLimit"/>
    /// without a success.</summary>
    private static async Task<(List<(long Entries, double AtMs)> Crossed, IReadOnlyList<WriteSample> Samples)> WriteUntilAsync(
        WorkloadContext context, long start, IReadOnlyList<long> targets)
    {
        long written = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.Cancellation);
        var running = context.Clients().RunAsync(context.Settings.Clients, async (client, index, n) =>
        {
            await context.PutAsync(client, index, n);
            Interlocked.Increment(ref written);
        }, duration: null, stop.Token);

        var crossed = new List<(long, double)>();
        try
        {
            var lastProgress = (Written: 0L, AtMs: context.Clock.Elapsed.TotalMilliseconds);
            var reported = lastProgress;
            foreach (var target in targets)
            {
                while (start + Interlocked.Read(ref written) < target && !running.IsCompleted)
                {
                    await Task.Delay(20, context.Cancellation);
                    var now = (Written: Interlocked.Read(ref written), AtMs: context.Clock.Elapsed.TotalMilliseconds);
                    if (now.Written > lastProgress.Written) lastProgress = now;
                    else if (now.AtMs - lastProgress.AtMs > StallLimit.TotalMilliseconds) return (crossed, await StopAsync());
                    if (now.AtMs - reported.AtMs >= ProgressEvery.TotalMilliseconds)
                    {
                        // A step of a long run can take minutes: say that it moves.
                        context.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"raftctl bench growth: {start + now.Written:N0} entries, {(now.Written - reported.Written) * 1000 / (now.AtMs - reported.AtMs):0} writes/s"));
                        reported = now;
                    }
                }

                if (start + Interlocked.Read(ref written) < target) break;
                crossed.Add((target, context.Clock.Elapsed.TotalMilliseconds));
                context.Progress.WriteLine($"raftctl bench growth: {target:N0} entries");
            }

            return (crossed, await StopAsync());
        }
        finally
        {
            await stop.CancelAsync();
            await running.ContinueWith(_ => { }, TaskScheduler.Default);
        }

        async Task<IReadOnlyList<WriteSample>> StopAsync()
        {
            await stop.CancelAsync();
            return await running;
        }
    }

    private static async Task<long> LeaderLastIndexAsync(WorkloadContext context)
    {
        var statuses = await RunObservation.StatusesAsync(context.Channel, context.Cancellation);
        return statuses.Where(status => status.Role == NodeRole.Leader).MaxBy(status => status.Term)?.LastLogIndex
               ?? (statuses.Count > 0 ? statuses.Max(status => status.LastLogIndex) : throw new LauncherException("no node answered a status call"));
    }
}
