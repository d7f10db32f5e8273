using System.Globalization;
using System.Text.Json;
using RaftOrleans.Client.Connections;
using RaftOrleans.Contracts;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Cluster;

/// <summary>
/// `raftctl partition|isolate|drop|delay|heal|faults`: edits the cluster's network fault table between Raft
/// nodes (see RaftOrleans.Grains/Faults/README.md). It reads the newest table any node holds, applies the
/// edit, and sets the result on every node it reaches; a node it cannot reach pulls the table from its
/// peers within 2 s of coming back. Faults add up until `heal` (except `partition`, which replaces the
/// previous symmetric partition; `drop N 0` and `delay N 0ms` remove that node's rule).
/// Exit codes: 0 done, 2 usage error, 3 no node reachable.
/// </summary>
public static class FaultCommand
{
    public const string Usage = """
        usage: raftctl partition n1,n2 n3,n4,n5 | raftctl partition --oneway n1 n2
        usage: raftctl isolate n3 | raftctl drop n2 0.3 | raftctl delay n2 80ms [--jitter 20ms]
        usage: raftctl heal | raftctl faults [--json]   (each: [--cluster-dir DIR | --client-config FILE])
        """;

    public static readonly IReadOnlySet<string> Verbs = new HashSet<string> { "partition", "isolate", "drop", "delay", "heal", "faults" };

    private static readonly HashSet<string> ValueOptions = ["--cluster-dir", "--client-config", "--jitter", "--timeout-ms"];
    private static readonly HashSet<string> Flags = ["--oneway", "--json"];

    public static int Run(string verb, string[] args, TextWriter output, TextWriter error) =>
        RunAsync(verb, args, output, error).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(string verb, string[] args, TextWriter output, TextWriter error)
    {
        try
        {
            var arguments = new CommandArguments(args, ValueOptions, Flags);
            var cluster = ClusterTarget.Resolve(arguments.Value("--cluster-dir"), arguments.Value("--client-config"));
            var nodes = cluster.Nodes.Select(n => n.Node).ToArray();
            // Parse before connecting, so a typo costs nothing.
            var edit = verb == "faults" ? null : ParseEdit(verb, arguments, nodes);
            if (verb == "faults" && arguments.Positional.Count > 0) throw new UsageException($"unexpected '{arguments.Positional[0]}'");
            var timeout = TimeSpan.FromMilliseconds(arguments.Int("--timeout-ms", 2000, 1, 600_000));
            CheckOnEmptyTable(edit);

            await using var client = await ClusterClientFactory.ConnectAsync(cluster.ClientSettings());
            if (edit is null)
            {
                var held = await ReadAllAsync(client.Client, nodes, timeout);
                if (held.All(h => h.Table is null)) return await NoNodeAnsweredAsync(verb, held, error);
                WriteView(output, held, arguments.Has("--json"));
                return ExitCodes.Done;
            }

            var applied = await ApplyAsync(client.Client, nodes, edit, timeout);
            if (applied.Table is null) return await NoNodeAnsweredAsync(verb, applied.Nodes, error);
            await applied.WriteAsync(output);
            return applied.Nodes.All(n => n.Table is null) ? ExitCodes.Unavailable : ExitCodes.Done;
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl {verb}: {e.Message}");
            await error.WriteLineAsync(Usage);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is LauncherException or ConfigException or ClusterUnreachableException)
        {
            await error.WriteLineAsync($"raftctl {verb}: {e.Message}");
            return ExitCodes.ForNoCluster(e);
        }
    }

    /// <summary>What an edit did: the table set (null when no node answered the read), and each node's answer
    /// to the set (or to the read, when none answered).</summary>
    public sealed record Applied(NetworkFaultTable? Table, IReadOnlyList<Held> Nodes)
    {
        public async Task WriteAsync(TextWriter output)
        {
            if (Table is null) return;
            await output.WriteLineAsync($"network faults v{Table.Version}: {Table.Summary}");
            await output.WriteLineAsync($"set on {string.Join(",", Nodes.Where(s => s.Table is not null).Select(s => s.Node))}");
            foreach (var miss in Nodes.Where(s => s.Table is null))
                await output.WriteLineAsync($"{miss.Node} not reached ({miss.Error}); it takes the table from its peers when it is back");
        }
    }

    /// <summary>Reads the newest table any of <paramref name="nodes"/> holds, applies <paramref name="edit"/>
    /// and sets the result on all of them at once, through a client the caller already has (the demo sets a
    /// partition through the client it is about to send commands with, so nothing slow comes between).</summary>
    public static async Task<Applied> ApplyAsync(IClusterClient client, IReadOnlyList<string> nodes,
        Func<NetworkFaultTable, NetworkFaultTable> edit, TimeSpan timeout)
    {
        var held = await ReadAllAsync(client, nodes, timeout);
        var answered = held.Where(h => h.Table is not null).ToArray();
        if (answered.Length == 0) return new Applied(null, held);
        var newest = answered.Select(h => h.Table!).MaxBy(t => t.Version)!;
        NetworkFaultTable next;
        try
        {
            // Wall-clock versions keep a later command newer even if this console missed the newest table.
            next = edit(newest) with { Version = Math.Max(newest.Version + 1, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()) };
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }

        var set = await Task.WhenAll(nodes.Select(node => TryAsync(node, g => g.Set(next), client, timeout)));
        return new Applied(next, set);
    }

    private static Task<Held[]> ReadAllAsync(IClusterClient client, IReadOnlyList<string> nodes, TimeSpan timeout) =>
        Task.WhenAll(nodes.Select(node => TryAsync(node, g => g.Get(), client, timeout)));

    private static async Task<int> NoNodeAnsweredAsync(string verb, IReadOnlyList<Held> held, TextWriter error)
    {
        await error.WriteLineAsync($"raftctl {verb}: no node answered: {string.Join("; ", held.Select(h => $"{h.Node}: {h.Error}"))}");
        return ExitCodes.Unavailable;
    }

    private static Func<NetworkFaultTable, NetworkFaultTable> ParseEdit(string verb, CommandArguments arguments, IReadOnlyList<string> nodes)
    {
        var words = arguments.Positional;
        string Node(string name) => nodes.Contains(name, StringComparer.Ordinal)
            ? name
            : throw new UsageException($"no node '{name}' in this cluster (nodes: {string.Join(",", nodes)})");
        void Expect(int count, string shape)
        {
            if (words.Count != count) throw new UsageException($"expected {shape}");
        }

        if (verb != "delay" && arguments.Value("--jitter") is not null) throw new UsageException("--jitter goes with delay only");
        if (verb != "partition" && arguments.Has("--oneway")) throw new UsageException("--oneway goes with partition only");
        switch (verb)
        {
            case "partition" when arguments.Has("--oneway"):
            {
                Expect(2, "two nodes: FROM TO (FROM cannot reach TO)");
                var (from, to) = (Node(words[0]), Node(words[1]));
                return t => t.WithOneWayCut(from, to);
            }
            case "partition":
            {
                if (words.Count < 2) throw new UsageException("expected at least two groups, e.g. n1,n2 n3,n4,n5");
                var groups = words.Select(w => (IReadOnlyList<string>)w.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Node).ToArray()).ToArray();
                return t => t.WithPartition(groups);
            }
            case "isolate":
            {
                if (words.Count == 0) throw new UsageException("expected one or more nodes");
                var isolated = words.Select(Node).ToArray();
                return t => isolated.Aggregate(t, (table, n) => table.WithIsolated(n));
            }
            case "drop":
            {
                Expect(2, "NODE PROBABILITY, e.g. n2 0.3");
                var node = Node(words[0]);
                if (!double.TryParse(words[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var p) || p is < 0 or > 1)
                    throw new UsageException($"'{words[1]}' is not a probability in [0, 1]");
                return t => t.WithDrop(node, p);
            }
            case "delay":
            {
                Expect(2, "NODE DURATION, e.g. n2 80ms");
                var node = Node(words[0]);
                var delay = Milliseconds(words[1]);
                var jitter = arguments.Value("--jitter") is { } j ? Milliseconds(j) : 0;
                return t => t.WithDelay(node, delay, jitter);
            }
            case "heal":
                Expect(0, "no arguments");
                return _ => NetworkFaultTable.None;
            default:
                throw new UsageException($"unknown fault command '{verb}'");
        }
    }

    /// <summary>Bad values (jitter above the delay, a node in two groups) fail here, before connecting.</summary>
    private static void CheckOnEmptyTable(Func<NetworkFaultTable, NetworkFaultTable>? edit)
    {
        try
        {
            edit?.Invoke(NetworkFaultTable.None);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>"80ms", "1.5s" or a bare number of milliseconds.</summary>
    internal static int Milliseconds(string text)
    {
        var (number, scale) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1.0)
            : text.EndsWith('s') ? (text[..^1], 1000.0)
            : (text, 1.0);
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < 0 || value * scale > 60_000)
            throw new UsageException($"'{text}' is not a duration like 80ms or 1.5s (at most 60 s)");
        return (int)Math.Round(value * scale);
    }

    public sealed record Held(string Node, NetworkFaultTable? Table, string? Error);

    private static async Task<Held> TryAsync(string node, Func<INetworkFaultsGrain, Task<NetworkFaultTable>> call, IClusterClient client, TimeSpan timeout)
    {
        try
        {
            return new Held(node, await call(client.GetGrain<INetworkFaultsGrain>(node)).WaitAsync(timeout), null);
        }
        catch (Exception e)
        {
            return new Held(node, null, e is TimeoutException ? $"no answer within {timeout.TotalMilliseconds:0} ms" : e.Message.Split('\n')[0].Trim());
        }
    }

    /// <summary>Each node's table: text, or {"nodes":[{"node","reachable","version","faults":[...],"error"}]}.</summary>
    private static void WriteView(TextWriter output, IReadOnlyList<Held> held, bool json)
    {
        if (json)
        {
            var view = new
            {
                nodes = held.Select(h => new { node = h.Node, reachable = h.Table is not null, version = h.Table?.Version, faults = h.Table?.Describe(), error = h.Error }),
            };
            output.WriteLine(JsonSerializer.Serialize(view, new JsonSerializerOptions { WriteIndented = true }));
            return;
        }

        foreach (var h in held)
            output.WriteLine(h.Table is { } t ? $"{h.Node}: v{t.Version} {t.Summary}" : $"{h.Node}: unreachable ({h.Error})");
    }
}
