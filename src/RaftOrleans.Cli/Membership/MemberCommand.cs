using System.Globalization;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Client;
using RaftOrleans.Contracts;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Launcher;
using static RaftOrleans.Cli.Membership.MembershipClient;

namespace RaftOrleans.Cli.Membership;

/// <summary>`raftctl member list|add|promote|remove|replace ...` and `raftctl move-leader NODE`, in the style
/// of etcdctl: one server at a time, through the leader. Exit codes as for the key-value commands: 0 done,
/// 1 refused (unknown node, last voter, a learner that did not catch up), 2 usage error, 3 no leader or no
/// outcome in time.</summary>
public static class MemberCommand
{
    public const string Usage = """
        usage: raftctl member list [-w table|json]
               raftctl member add NODE [--learner] [--catch-up-seconds S]
               raftctl member promote NODE [--catch-up-seconds S]
               raftctl member remove NODE
               raftctl member replace OLD NEW [--catch-up-seconds S]
               raftctl move-leader NODE
        each takes --timeout-ms N (default 20000) and --cluster-dir DIR | --client-config FILE; start a new node's silo first
        (`raftctl cluster add NODE`); add without --learner waits up to S seconds (default 60) for the learner to catch up, then promotes it
        """;

    private static readonly HashSet<string> ValueOptions = ["--cluster-dir", "--client-config", "--timeout-ms", "--catch-up-seconds", .. WriteOut.Options];
    private static readonly HashSet<string> Flags = ["--learner"];

    public static int Run(string verb, string[] args, TextWriter output, TextWriter error) =>
        RunAsync(verb, args, output, error).GetAwaiter().GetResult();

    /// <param name="verb">`member` (then the first word of <paramref name="args"/> says what) or `move-leader`.</param>
    public static async Task<int> RunAsync(string verb, string[] args, TextWriter output, TextWriter error)
    {
        CommandArguments arguments;
        string action;
        IReadOnlyList<string> nodes;
        bool json;
        try
        {
            arguments = new CommandArguments(args, ValueOptions, Flags);
            (action, nodes) = verb == "move-leader" ? ("move-leader", arguments.Positional) : Action(arguments.Positional);
            var expected = action switch { "list" => 0, "replace" => 2, _ => 1 };
            if (nodes.Count != expected)
            {
                throw new UsageException($"{(verb == "move-leader" ? verb : $"member {action}")} takes {expected} node name(s)");
            }

            if (arguments.Has("--learner") && action != "add")
            {
                throw new UsageException("--learner goes with member add");
            }

            if (action != "list" && WriteOut.Options.Any(arguments.Has))
            {
                throw new UsageException("-w goes with member list");
            }

            json = WriteOut.Parse(arguments, $"member {action}", "table", "json") == "json";
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl {verb}: {e.Message}");
            await error.WriteLineAsync(Usage);
            return ExitCodes.Usage;
        }

        OrleansNodeChannel channel;
        TimeSpan limit, catchUp;
        try
        {
            limit = TimeSpan.FromMilliseconds(arguments.Int("--timeout-ms", 20_000, 1, 3_600_000));
            catchUp = TimeSpan.FromSeconds(arguments.Int("--catch-up-seconds", 60, 1, 86_400));
            var cluster = ClusterTarget.Resolve(arguments.Value("--cluster-dir"), arguments.Value("--client-config"));
            channel = new OrleansNodeChannel(cluster);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl {verb}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is LauncherException or ConfigException)
        {
            return await ExitCodes.ReportNoClusterAsync(error, $"raftctl {verb}", e);
        }

        await using (channel)
        {
            var client = new MembershipClient(channel);
            // Replace runs three changes, each within the limit, and one catch-up: never longer than that.
            using var whole = new CancellationTokenSource(3 * limit + catchUp + TimeSpan.FromSeconds(30));
            try
            {
                return action switch
                {
                    "list" => await ListAsync(client, limit, json, output, error, whole.Token),
                    "move-leader" => Report(await client.MoveLeaderAsync(nodes[0], limit, whole.Token), $"move-leader {nodes[0]}", output, error),
                    "replace" => await ReplaceAsync(client, nodes[0], nodes[1], limit, catchUp, output, error, whole.Token),
                    _ => await ChangeAsync(client, action, nodes[0], arguments.Has("--learner"), limit, catchUp, output, error, whole.Token),
                };
            }
            catch (OperationCanceledException)
            {
                await error.WriteLineAsync($"raftctl {verb}: gave up after {(3 * limit + catchUp).TotalSeconds:0} s");
                return ExitCodes.Unavailable;
            }
        }
    }

    private static (string Action, IReadOnlyList<string> Nodes) Action(IReadOnlyList<string> positional)
    {
        if (positional.Count == 0)
        {
            throw new UsageException("which member command?");
        }

        var action = positional[0];
        if (action is not ("list" or "add" or "promote" or "remove" or "replace"))
        {
            throw new UsageException($"unknown member command '{action}'");
        }

        return (action, positional.Skip(1).ToArray());
    }

    private static async Task<int> ListAsync(MembershipClient client, TimeSpan limit, bool json, TextWriter output, TextWriter error,
        CancellationToken cancellationToken)
    {
        // Asked again until a leader answers (the first connects to a busy silo, or an election, can take
        // seconds), within the limit.
        var clock = global::System.Diagnostics.Stopwatch.StartNew();
        var views = await client.ViewsAsync(cancellationToken);
        while (MembershipClient.Leader(views) is null && clock.Elapsed < limit)
        {
            await Task.Delay(250, cancellationToken);
            views = await client.ViewsAsync(cancellationToken);
        }

        if (MembershipClient.Leader(views) is not { } leader)
        {
            await error.WriteLineAsync("raftctl member list: no leader answered; " +
                string.Join("; ", views.Select(v => v.View is { } view ? $"{v.Node} {view.Role.Name()} term {view.Term}" : $"{v.Node} unreachable")));
            return ExitCodes.Unavailable;
        }

        var answered = views.Where(v => v.View is not null).Select(v => v.Node).ToHashSet();
        var listed = views.Select(v => v.Node).ToHashSet();
        var outsiders = views.Where(v => v.View is not null && leader.Members.All(m => m.Node != v.Node)).Select(v => v.Node).ToArray();
        var rows = leader.Members.Select(member => new MemberRow(member.Node, !member.Voter, member.Node == leader.Node, member.MatchIndex,
            leader.LastLogIndex - member.MatchIndex, listed.Contains(member.Node) ? answered.Contains(member.Node) : null)).ToList();
        if (json)
        {
            await output.WriteLineAsync(MemberListJson(leader, rows, outsiders));
            return ExitCodes.Done;
        }

        var table = new List<string[]> { new[] { "NODE", "ROLE", "MATCH", "LAG", "REACHABLE" } };
        foreach (var row in rows)
        {
            var role = row.IsLeader ? "voter (leader)" : row.IsLearner ? "learner" : "voter";
            var reachable = row.Reachable switch { true => "yes", false => "no", null => "not in client config" };
            table.Add([row.Name, role, row.MatchIndex?.ToString(CultureInfo.InvariantCulture) ?? "-",
                row.Lag?.ToString(CultureInfo.InvariantCulture) ?? "-", reachable]);
        }

        var widths = Enumerable.Range(0, 5).Select(column => table.Max(row => row[column].Length)).ToArray();
        foreach (var row in table)
        {
            await output.WriteLineAsync(string.Join("  ", row.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd());
        }

        await output.WriteLineAsync($"leader {leader.Node}, term {leader.Term}, last index {leader.LastLogIndex}, commit {leader.CommitIndex}" +
            (leader.ChangePending ? ", a configuration change is not committed yet" : ""));
        if (outsiders.Length > 0)
        {
            await output.WriteLineAsync($"running but not members: {string.Join(", ", outsiders)}");
        }

        return ExitCodes.Done;
    }

    /// <summary>One member as the leader sees it, for the table and the JSON alike. Reachable is null for a member
    /// the client config does not list.</summary>
    private sealed record MemberRow(string Name, bool IsLearner, bool IsLeader, long? MatchIndex, long? Lag, bool? Reachable);

    /// <summary>`member list -w json`: etcdctl's names where it has one (name, isLearner, raft_term), the
    /// leader's view of each member's replication beside them.</summary>
    private static string MemberListJson(MembershipView leader, IReadOnlyList<MemberRow> rows, IReadOnlyList<string> outsiders) =>
        global::System.Text.Json.JsonSerializer.Serialize(new
        {
            header = new { leader = leader.Node, raft_term = leader.Term, last_index = leader.LastLogIndex, commit_index = leader.CommitIndex, change_pending = leader.ChangePending },
            members = rows.Select(row => new
            {
                name = row.Name, isLearner = row.IsLearner, isLeader = row.IsLeader, matchIndex = row.MatchIndex, lag = row.Lag, reachable = row.Reachable,
            }),
            runningButNotMembers = outsiders,
        });

    private static async Task<int> ChangeAsync(MembershipClient client, string action, string node, bool learnerOnly, TimeSpan limit,
        TimeSpan catchUp, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (action == "add")
        {
            var added = await client.ChangeAsync(MembershipChangeKind.AddLearner, node, view => IsMember(view, node), limit, catchUp, cancellationToken);
            if (added.Result == ChangeResult.Refused && added.Message.Contains("already a learner", StringComparison.Ordinal) && !learnerOnly)
            {
                await output.WriteLineAsync($"raftctl: {node} is already a learner");
            }
            else if (Report(added, $"add learner {node}", output, error) is var code && (code != 0 || learnerOnly))
            {
                return code;
            }

            action = "promote";
        }

        return action switch
        {
            "promote" => Report(await client.ChangeAsync(MembershipChangeKind.Promote, node, view => IsVoter(view, node), limit, catchUp, cancellationToken),
                $"promote {node}", output, error),
            _ => Report(await client.ChangeAsync(MembershipChangeKind.Remove, node, view => !IsMember(view, node), limit, catchUp, cancellationToken),
                $"remove {node}", output, error),
        };
    }

    /// <summary>Add NEW as a learner, wait for it to catch up, promote it, remove OLD: each step skipped when
    /// the leader's configuration shows it done, so running the command again after an interruption finishes
    /// the job without repeating a step.</summary>
    private static async Task<int> ReplaceAsync(MembershipClient client, string old, string replacement, TimeSpan limit, TimeSpan catchUp,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (old == replacement)
        {
            await error.WriteLineAsync("raftctl member replace: OLD and NEW are the same node");
            return ExitCodes.Usage;
        }

        if (MembershipClient.Leader(await client.ViewsAsync(cancellationToken)) is not { } leader)
        {
            await error.WriteLineAsync("raftctl member replace: no leader answered");
            return ExitCodes.Unavailable;
        }

        if (!IsMember(leader, old) && !IsMember(leader, replacement))
        {
            await error.WriteLineAsync($"raftctl member replace: {old} is not a member (voters {MembershipClient.Voters(leader)})");
            return ExitCodes.Refused;
        }

        var steps = new (string Name, MembershipChangeKind Kind, string Node, Func<MembershipView, bool> Done)[]
        {
            ($"step 1/3: add {replacement} as a learner", MembershipChangeKind.AddLearner, replacement, view => IsMember(view, replacement)),
            ($"step 2/3: catch up and promote {replacement}", MembershipChangeKind.Promote, replacement, view => IsVoter(view, replacement)),
            ($"step 3/3: remove {old}", MembershipChangeKind.Remove, old, view => !IsMember(view, old)),
        };
        foreach (var step in steps)
        {
            var current = MembershipClient.Leader(await client.ViewsAsync(cancellationToken));
            if (current is not null && step.Done(current) && !current.ChangePending)
            {
                await output.WriteLineAsync($"raftctl: {step.Name}: already done");
                continue;
            }

            var code = Report(await client.ChangeAsync(step.Kind, step.Node, step.Done, limit, catchUp, cancellationToken), step.Name, output, error);
            if (code != 0)
            {
                return code;
            }
        }

        await output.WriteLineAsync($"raftctl: replaced {old} by {replacement}");
        return ExitCodes.Done;
    }

    private static int Report(ChangeOutcome outcome, string what, TextWriter output, TextWriter error)
    {
        if (outcome.Result == ChangeResult.Done)
        {
            output.WriteLine($"raftctl: {what}: {outcome.Message}");
            return ExitCodes.Done;
        }

        error.WriteLine($"raftctl: {what}: {outcome.Message}");
        return outcome.Result == ChangeResult.TimedOut ? ExitCodes.Unavailable : ExitCodes.Refused;
    }
}
