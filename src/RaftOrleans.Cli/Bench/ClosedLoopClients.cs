using System.Diagnostics;
using RaftOrleans.Client;

namespace RaftOrleans.Cli.Bench;

/// <summary>
/// Closed-loop clients: each runs one operation, waits for its answer, and at once runs the next, so the
/// offered load is the number of clients and latency is what one caller waits. Every client is a
/// <see cref="RaftKvClient"/> of its own (its own session and leader cache) on a shared channel, as an
/// application's many callers would be. Timestamps are on the benchmark's one clock.
/// </summary>
public sealed class ClosedLoopClients(IRaftNodeChannel channel, RaftKvClientOptions options, Stopwatch clock, TextWriter? failures = null)
{
    /// <summary>After a failed operation a client waits this long before its next: an operation that fails at
    /// once (a refusal, a broken connection) would otherwise be retried in a loop as fast as the CPU allows,
    /// flooding the cluster with proposals while measuring nothing.</summary>
    public static readonly TimeSpan PauseAfterFailure = TimeSpan.FromMilliseconds(10);

    /// <summary>How many operations failed, by exception type and first line of its message.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _failureKinds = new();

    /// <summary>One client's operation number <c>n</c>; throws when the operation did not succeed.</summary>
    public delegate Task Operation(RaftKvClient client, int clientIndex, long n);

    /// <summary>Runs <paramref name="clients"/> clients for <paramref name="duration"/> (null: until
    /// <paramref name="stop"/> fires); an operation in flight at the end still finishes (within the client's
    /// deadline), so the last answers are not cut off as errors. Every client first runs one unmeasured
    /// operation, which opens its session and finds the leader; the measured loops start together after that.</summary>
    public async Task<IReadOnlyList<WriteSample>> RunAsync(int clients, Operation operation, TimeSpan? duration, CancellationToken stop)
    {
        var kvClients = Enumerable.Range(0, clients).Select(index => new RaftKvClient(channel, options with { Seed = index })).ToArray();
        await Task.WhenAll(kvClients.Select((client, index) => TryAsync(() => operation(client, index, 0))));
        using var measured = CancellationTokenSource.CreateLinkedTokenSource(stop);
        if (duration is { } limit)
        {
            measured.CancelAfter(limit);
        }

        var perClient = await Task.WhenAll(kvClients.Select((client, index) => Task.Run(async () =>
        {
            var samples = new List<WriteSample>();
            for (long n = 1; !measured.IsCancellationRequested; n++)
            {
                var startMs = clock.Elapsed.TotalMilliseconds;
                var succeeded = await TryAsync(() => operation(client, index, n));
                samples.Add(new WriteSample(startMs, clock.Elapsed.TotalMilliseconds, succeeded));
                if (!succeeded) await Task.Delay(PauseAfterFailure);
            }

            return samples;
        })));
        return perClient.SelectMany(samples => samples).OrderBy(sample => sample.EndMs).ToList();
    }

    private async Task<bool> TryAsync(Func<Task> run)
    {
        try
        {
            await run();
            return true;
        }
        catch (Exception e) when (e is not KvRequestException)
        {
            // Unavailable, timed out, answer lost: in a benchmark all of them are simply "not a success".
            // An invalid request is a bug in the benchmark and must not pass as an error count.
            // The first failure of each kind (of the first ten kinds) is shown, so that a run full of errors says why.
            var kind = $"{e.GetType().Name}: {e.Message.Split('\n')[0].Trim()}";
            if (kind.Length > 200) kind = kind[..200];
            if (_failureKinds.AddOrUpdate(kind, 1, (_, count) => count + 1) == 1 && _failureKinds.Count <= 10) failures?.WriteLine($"raftctl bench: an operation failed ({kind})");
            return false;
        }
    }
}
