using System.Diagnostics;
using RaftOrleans.Client;
using RaftOrleans.History;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Kv;

/// <summary>
/// `raftctl load --clients C --seconds S --keys K --history FILE [--seed N]`: C concurrent clients run a random
/// mix of put, get and cas on K keys for S seconds and record every invocation and completion in FILE, in the
/// Jepsen format `raftctl check` reads. Each client has its own session (exactly-once writes) and shares one
/// connection per node. Keys carry a fresh run prefix, so every key starts absent as the checker assumes,
/// and every written value is unique, so the checker can tell writes apart.
/// <para>Outcomes: ok (a cas whose expectation did not hold is ok too, recorded with the value it found, and a
/// get of an absent key is an ok read of absence: both are observations the checker uses); fail when the
/// operation certainly did not happen (the client's <see cref="KvUnavailableException"/>: every attempt was
/// refused without effect); info when it may have happened (<see cref="KvOutcomeUnknownException"/>: timed out
/// in flight, answer lost). After an info the client retires its process number and goes on under a new one,
/// as Jepsen does.</para>
/// Exit codes: 0 done, 2 usage error, 3 no operation succeeded (cluster unavailable), 130 interrupted (Ctrl-C or SIGTERM).
/// </summary>
public static class LoadCommand
{
    public const string Usage = "usage: raftctl load --clients C --seconds S --keys K --history FILE [--seed N] [--lease] " + KvConnection.OptionsUsage;

    private static readonly IReadOnlySet<string> ValueOptions = new HashSet<string>(KvConnection.ValueOptions)
        { "--clients", "--seconds", "--keys", "--history", "--seed" };

    /// <summary>Per-operation deadline: short, so that a failover shows as a few info operations, not a stall.</summary>
    private static readonly RaftKvClientOptions LoadClientOptions = new() { OverallDeadline = TimeSpan.FromSeconds(5) };

    /// <summary>The console's entry: Ctrl-C and SIGTERM alike end the run the way its --seconds does (each client
    /// finishes the operation it has in flight, so the history is complete) and then exit <see cref="ExitCodes.Interrupted"/>.</summary>
    public static async Task<int> RunUntilStoppedAsync(string[] args, TextWriter output, TextWriter error)
    {
        using var stop = new StopSignal(error, "raftctl load: interrupted, stopping the clients");
        var exit = await RunAsync(args, output, error, stop.Token);
        return exit == ExitCodes.Done && stop.Token.IsCancellationRequested ? ExitCodes.Interrupted : exit;
    }

    /// <summary>The run, until its --seconds pass or <paramref name="cancellationToken"/> stops it: a caller that stops it
    /// (the tests, around a membership change) gets 0 like a run that ended on time; only the console's signals mean 130.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        LoadSettings settings;
        CommandArguments arguments;
        try
        {
            arguments = new CommandArguments(args, ValueOptions, new HashSet<string> { "--lease" });
            settings = LoadSettings.Parse(arguments);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl load: {e.Message}");
            await error.WriteLineAsync(Usage);
            return ExitCodes.Usage;
        }

        KvConnection connection;
        try
        {
            connection = KvConnection.Open(arguments, LoadClientOptions, NodeConnects.AllAtOnce);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl load: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is LauncherException or ConfigException)
        {
            return await ExitCodes.ReportNoClusterAsync(error, "raftctl load", e);
        }

        await using (connection)
        {
            connection.FollowLauncherCluster(arguments, TextWriter.Synchronized(error), TimeSpan.FromSeconds(1));
            StreamWriter file;
            try
            {
                file = new StreamWriter(settings.HistoryPath, append: false);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync($"raftctl load: cannot write {settings.HistoryPath}: {e.Message}");
                return ExitCodes.Usage;
            }
            await using (file)
            {
                using var recorder = new HistoryRecorder(file);
                var tally = await RunClientsAsync(settings, connection, recorder, output, cancellationToken);
                recorder.Flush();
                var ended = cancellationToken.IsCancellationRequested ? "stopped" : "done";
                await output.WriteLineAsync($"load: {ended}: {tally.Describe()}; history in {settings.HistoryPath} (check it with `raftctl check {settings.HistoryPath}`)");
                if (tally.Ok == 0)
                {
                    await error.WriteLineAsync("raftctl load: no operation succeeded: cluster unavailable");
                    return ExitCodes.Unavailable;
                }
                return ExitCodes.Done;
            }
        }
    }

    private static async Task<LoadTally> RunClientsAsync(LoadSettings settings, KvConnection connection, HistoryRecorder recorder,
        TextWriter output, CancellationToken cancellationToken)
    {
        var tally = new LoadTally();
        var runPrefix = $"load-{Guid.NewGuid().ToString("N")[..8]}/";
        var keys = Enumerable.Range(0, settings.Keys).Select(i => $"{runPrefix}k{i}").ToArray();
        var processNumbers = new ProcessNumbers(settings.Clients);
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(settings.Duration);

        var clients = Enumerable.Range(0, settings.Clients).Select(i =>
        {
            var client = new RaftKvClient(connection.Channel, connection.Options with { Seed = settings.Seed * 7919 + i });
            var worker = new LoadWorker(i, client, keys, recorder, tally, processNumbers, new Random(settings.Seed * 104729 + i), settings.Lease);
            return Task.Run(() => worker.RunAsync(stop.Token));
        }).ToArray();

        var running = Task.WhenAll(clients);
        while (!running.IsCompleted)
        {
            await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(1)));
            await output.WriteLineAsync($"load: {clock.Elapsed.TotalSeconds,5:0.0}/{settings.Duration.TotalSeconds:0} s  {tally.Describe()}");
        }
        await running;
        return tally;
    }
}

/// <summary>The options of `raftctl load`, checked.</summary>
/// <param name="Lease">Gets are lease reads (`get --lease`): the leader may answer from its lease.</param>
internal sealed record LoadSettings(int Clients, TimeSpan Duration, int Keys, string HistoryPath, int Seed, bool Lease)
{
    public static LoadSettings Parse(CommandArguments arguments)
    {
        if (arguments.Positional.Count > 0)
        {
            throw new UsageException($"unexpected '{arguments.Positional[0]}'");
        }
        return new LoadSettings(
            Required(arguments, "--clients", 1, 1000),
            TimeSpan.FromSeconds(Required(arguments, "--seconds", 1, 86_400)),
            Required(arguments, "--keys", 1, 1_000_000),
            arguments.Value("--history") ?? throw new UsageException("--history FILE is required"),
            arguments.Int("--seed", Environment.TickCount & 0xffff, 0, int.MaxValue),
            arguments.Has("--lease"));
    }

    private static int Required(CommandArguments arguments, string option, int min, int max)
    {
        if (arguments.Value(option) is null)
        {
            throw new UsageException($"{option} is required");
        }
        return arguments.Int(option, 0, min, max);
    }
}
