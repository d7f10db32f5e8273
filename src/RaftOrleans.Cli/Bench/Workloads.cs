using System.Diagnostics;
using System.Globalization;
using RaftOrleans.Client;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Bench;

/// <summary>What one workload's measured run gave, before the figures every workload shares are added.</summary>
public sealed record WorkloadResult(LatencySummary Summary, bool Complete)
{
    public IReadOnlyList<FailoverResult> Kills { get; init; } = [];
    public IReadOnlyList<GrowthStep>? Steps { get; init; }
}

/// <summary>What a workload runs with: the cluster, a channel to it, its settings and the run's one clock.</summary>
public sealed class WorkloadContext(ClusterLauncher launcher, IRaftNodeChannel channel, WorkloadSettings settings, Stopwatch clock, TextWriter progress, CancellationToken cancellation)
{
    public ClusterLauncher Launcher { get; } = launcher;
    public IRaftNodeChannel Channel { get; } = channel;
    public WorkloadSettings Settings { get; } = settings;
    public Stopwatch Clock { get; } = clock;
    public TextWriter Progress { get; } = progress;
    public CancellationToken Cancellation { get; } = cancellation;

    /// <summary>Keys of this run only, so runs against one cluster never read each other's.</summary>
    public string RunId { get; } = Guid.NewGuid().ToString("N")[..8];

    public string Value { get; } = new('v', settings.ValueBytes);

    public ClosedLoopClients Clients() => new(Channel, FailoverRound.WriterOptions, Clock, Progress);

    /// <summary>Each client puts its own 64 keys in turn, so the store stays small however long the log grows.</summary>
    public Task PutAsync(RaftKvClient client, int clientIndex, long n) => client.PutAsync($"bench-{RunId}/c{clientIndex}/k{n % 64}", Value, Cancellation);

    public async Task<IReadOnlyList<WriteSample>> RunAsync(ClosedLoopClients.Operation operation, TimeSpan duration)
    {
        var samples = await Clients().RunAsync(Settings.Clients, operation, duration, Cancellation);
        Cancellation.ThrowIfCancellationRequested();
        return samples;
    }
}

/// <summary>The four workloads: each has a warm-up (load that is not counted) and a measured run.</summary>
public static class Workloads
{
    private const int ReadKeys = 64;

    public static async Task WarmUpAsync(WorkloadContext context)
    {
        var settings = context.Settings;
        switch (settings.Workload)
        {
            case Workload.Read:
                await WriteReadKeysAsync(context);
                if (settings.WarmUp > TimeSpan.Zero) await context.RunAsync((client, index, n) => ReadAsync(context, client, index, n), settings.WarmUp);
                break;
            case Workload.Growth:
                await GrowthWorkload.FillAsync(context);
                break;
            default:
                if (settings.WarmUp > TimeSpan.Zero) await context.RunAsync(context.PutAsync, settings.WarmUp);
                break;
        }
    }

    public static async Task<WorkloadResult> RunAsync(WorkloadContext context)
    {
        var settings = context.Settings;
        switch (settings.Workload)
        {
            case Workload.Write:
            {
                var samples = await context.RunAsync(context.PutAsync, settings.Duration);
                return new WorkloadResult(LatencySummary.OfSamples("write", settings.Clients, samples), Complete: true);
            }
            case Workload.Read:
            {
                var samples = await context.RunAsync((client, index, n) => ReadAsync(context, client, index, n), settings.Duration);
                return new WorkloadResult(LatencySummary.OfSamples(settings.Stale ? "stale" : "read", settings.Clients, samples), Complete: true);
            }
            case Workload.Failover:
                return await FailoverAsync(context);
            default:
                return await GrowthWorkload.RunAsync(context);
        }
    }

    /// <summary>The keys the read workload reads, written once (one client, in turn) before its warm-up.</summary>
    private static async Task WriteReadKeysAsync(WorkloadContext context)
    {
        var writer = new RaftKvClient(context.Channel, FailoverRound.WriterOptions);
        for (var key = 0; key < ReadKeys; key++)
        {
            try
            {
                await writer.PutAsync(ReadKey(context, key), context.Value, context.Cancellation);
            }
            catch (Exception e) when (e is KvUnavailableException or KvOutcomeUnknownException)
            {
                throw new LauncherException($"could not write the keys to read: {e.Message}");
            }
        }
    }

    /// <summary>Clients start at different keys and walk all of them.</summary>
    private static Task ReadAsync(WorkloadContext context, RaftKvClient client, int clientIndex, long n) =>
        client.GetAsync(ReadKey(context, (int)((clientIndex * 7 + n) % ReadKeys)), context.Settings.Stale, context.Cancellation);

    private static string ReadKey(WorkloadContext context, int key) => $"bench-{context.RunId}/read/k{key}";

    /// <summary>K rounds of <see cref="FailoverRound"/>: writers run, the leader gets SIGKILL, and the round
    /// ends once the killed node is back and caught up, so every kill hits a whole cluster.</summary>
    private static async Task<WorkloadResult> FailoverAsync(WorkloadContext context)
    {
        var settings = context.Settings;
        var round = new FailoverRound(context.Launcher, settings.Clients, settings.ValueBytes, context.Clock, context.Progress, context.Cancellation);
        var kills = new List<FailoverResult>();
        for (var number = 1; number <= settings.Kills; number++)
        {
            var kill = await round.RunAsync(number, context.RunId);
            kills.Add(kill);
            context.Progress.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"raftctl bench failover: kill {number}/{settings.Kills} of {kill.Killed}: next successful write after {Ms(ToNextWriteMs(kill))} ms, new leader {kill.NewLeader ?? "none"}"));
        }

        var samples = kills.SelectMany(kill => kill.Samples).ToList();
        var seconds = kills.Where(kill => kill.Samples.Count > 0).Sum(kill => (kill.Samples.Max(s => s.EndMs) - kill.Samples.Min(s => s.StartMs)) / 1000);
        var summary = LatencySummary.Of("write", settings.Clients, samples.Where(s => s.Succeeded).Select(s => s.LatencyMs).ToList(), samples.Count(s => !s.Succeeded), seconds);
        var complete = kills.All(kill => kill.LeaderElectedMs is not null && kill.Gap is not null && kill.CatchUpSeconds is not null);
        return new WorkloadResult(summary, complete) { Kills = kills };
    }

    /// <summary>From the kill to the write whose success ended the outage (see <see cref="FailoverGap"/>).</summary>
    public static double? ToNextWriteMs(FailoverResult kill) => kill.Gap is { } gap ? gap.ToMs - kill.KillMs : null;

    private static string Ms(double? value) => value is { } ms ? ms.ToString("0", CultureInfo.InvariantCulture) : "-";
}
