using RaftOrleans.Cli.Bench;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Cli.Demo;
using RaftOrleans.Cli.Commands;
using RaftOrleans.Cli.Kv;
using RaftOrleans.Cli.Membership;

namespace RaftOrleans.Cli;

internal static class Help
{
    public static string Text => $"""
        raftctl: Raft on Orleans

          {DemoCommand.Usage}
              start a five-node cluster and run the proposal's scenarios, each step checked

          {SimCommand.Usage}
              run a deterministic simulated cluster and check Raft's safety properties
          {BenchCommand.Usage}
              measure the pure core's cost per committed entry
        {Indent(BenchClusterCommand.Usage)}
              measure a real cluster: write throughput and latency at several client counts, linearizable
              reads, and failover (leader killed: time to a new leader, write gap); tables, CSV and SVG plots
        {Indent(WorkloadSettings.Usage)}
              one workload, on a cluster of its own (--up N) or the running one: writes, reads, leader kills
              (time to the next write), or the log growing to N entries; each silo's CPU idle and under load;
              --json FILE writes the run's figures as one JSON object
        {Indent(ClusterCommand.Usage)}
              run a local cluster of silo processes, and kill, freeze or restart its nodes
        {Indent(StatusCommand.Usage)}
              one row per node: role, term, leader, commit and applied index (unreachable nodes say so);
              --watch redraws it in place, changes marked, until Ctrl-C
        {Indent(Dashboard.DashboardCommand.Usage)}
              a live web page of the cluster (nodes, leader changes, writes/s and latency, faults) at a local address
        {Indent(MemberCommand.Usage)}
              change the membership one server at a time through the leader (learners catch up before they
              vote), or hand leadership to another voter; exit 0 done, 1 refused, 3 no leader or no outcome in time
        {Indent(FaultCommand.Usage)}
              inject network faults between Raft nodes (Raft traffic only; client calls are never touched);
              they add up until heal; `faults` shows each node's table (`status` shows it under the table)
        {Indent(CheckCommand.Usage)}
              decide whether a recorded history is linearizable
        {Indent(KvRequest.Usage)}
              the key-value store (options: {KvConnection.OptionsUsage}); exit 0 done,
              1 refused (cas mismatch, key not found), 2 usage error, 3 cluster unavailable or outcome unknown
        {Indent(KvPrompt.Usage)}
              an interactive prompt with the same commands, help and exit
        {Indent(LoadCommand.Usage)}
              concurrent clients run put/get/cas and record a Jepsen-style history for `raftctl check`;
              --lease: the gets are lease reads (as `get --lease`)
        """;

    private static string Indent(string text) =>
        string.Join("\n", text.Split('\n').Select(line => "  " + line.Trim().Replace("usage: ", "", StringComparison.Ordinal)));
}
