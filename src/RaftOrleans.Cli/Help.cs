using RaftOrleans.Cli.Bench;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Cli.Demo;
using RaftOrleans.Cli.Commands;
using RaftOrleans.Cli.Kv;
using RaftOrleans.Cli.Membership;

namespace RaftOrleans.Cli;

internal static class Help
{
    /// <summary>One entry of the help: the commands it covers, their usage and what they do.</summary>
    private sealed record Section(IReadOnlyCollection<string> Commands, string Usage, string Description)
    {
        public string Text => $"{Indent(Usage)}\n{Description}";
    }

    private static readonly IReadOnlyList<Section> Sections =
    [
        new(["demo"], DemoCommand.Usage, """
                  start a five-node cluster and run the proposal's scenarios, each step checked
            """),
        new(["sim"], SimCommand.Usage, """
                  run a deterministic simulated cluster and check Raft's safety properties
            """),
        new(["bench"], BenchCommand.Usage, """
                  measure the pure core's cost per committed entry
            """),
        new(["bench"], BenchClusterCommand.Usage, """
                  measure a real cluster: write throughput and latency at several client counts, linearizable
                  reads, and failover (leader killed: time to a new leader, write gap); tables, CSV and SVG plots
            """),
        new(["bench"], WorkloadSettings.Usage, """
                  one workload, on a cluster of its own (--up N) or the running one: writes, reads, leader kills
                  (time to the next write), or the log growing to N entries; each silo's CPU idle and under load;
                  --json FILE writes the run's figures as one JSON object
            """),
        new(["cluster"], ClusterCommand.Usage, """
                  run a local cluster of silo processes, and kill, freeze or restart its nodes
            """),
        new(["status"], StatusCommand.Usage, """
                  one row per node: role, term, leader, commit and applied index (unreachable nodes say so);
                  --watch redraws it in place, changes marked, until Ctrl-C
            """),
        new(["dashboard"], Dashboard.DashboardCommand.Usage, """
                  a live web page of the cluster (nodes, leader changes, writes/s and latency, faults) at a local address
            """),
        new(["member", "move-leader"], MemberCommand.Usage, """
                  change the membership one server at a time through the leader (learners catch up before they
                  vote), or hand leadership to another voter; exit 0 done, 1 refused, 3 no leader or no outcome in time
            """),
        new(FaultCommand.Verbs, FaultCommand.Usage, """
                  inject network faults between Raft nodes (Raft traffic only; client calls are never touched);
                  they add up until heal; `faults` shows each node's table (`status` shows it under the table)
            """),
        new(["check"], CheckCommand.Usage, """
                  decide whether a recorded history is linearizable
            """),
        new(KvRequest.Verbs, KvRequest.Usage, $"""
                  the key-value store (options: {KvConnection.OptionsUsage}); exit 0 done,
                  1 refused (cas mismatch, key not found), 2 usage error, 3 cluster unavailable or outcome unknown
                  (a command retries until --command-timeout; with no node running it says so at once)
            """),
        new(["repl"], KvPrompt.Usage, """
                  an interactive prompt with the same commands, help and exit
            """),
        new(["load"], LoadCommand.Usage, """
                  concurrent clients run put/get/cas and record a Jepsen-style history for `raftctl check`;
                  --lease: the gets are lease reads (as `get --lease`); Ctrl-C or SIGTERM end it early (exit 130)
            """),
    ];

    public static string Text =>
        "raftctl: Raft on Orleans (raftctl COMMAND --help shows one command)\n\n" + string.Join("\n", Sections.Select(section => section.Text)) +
        "\n\n" + ExitCodesText;

    /// <summary>The one scheme every command follows (<see cref="ExitCodes"/>), at the end of the help.</summary>
    public const string ExitCodesText = """
        exit codes, every command: 0 done; 1 refused or failed (the cluster said no, a check found a violation);
          2 nothing tried (bad command line or config file); 3 no answer in time (no cluster, no node, no leader,
          or a write whose outcome is unknown); 130 interrupted (Ctrl-C, SIGTERM)
        """;

    /// <summary>Every command help knows about, for `raftctl COMMAND --help`.</summary>
    public static bool Knows(string command) => Sections.Any(section => section.Commands.Contains(command));

    /// <summary>The help of <paramref name="command"/> (all its sections: `bench` has three).</summary>
    public static string For(string command) =>
        string.Join("\n", Sections.Where(section => section.Commands.Contains(command)).Select(section => section.Text));

    /// <summary>True when <paramref name="args"/> (after the command) ask for its help: --help or -h before
    /// any "--" that ends the options.</summary>
    public static bool Asked(IEnumerable<string> args) =>
        args.TakeWhile(arg => arg != "--").Any(arg => arg is "--help" or "-h");

    /// <summary>Each usage line that starts a command at two spaces, the lines that continue it at four.</summary>
    private static string Indent(string text) =>
        string.Join("\n", text.Split('\n').Select(line => line.Trim().Replace("usage: ", "", StringComparison.Ordinal))
            .Select(line => (line.StartsWith("raftctl ", StringComparison.Ordinal) ? "  " : "    ") + line));
}
