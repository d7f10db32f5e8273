using RaftOrleans.Cli.Commands;

namespace RaftOrleans.Cli;

internal static class Help
{
    public static string Text => $"""
        raftctl: Raft on Orleans

          {SimCommand.Usage}
              run a deterministic simulated cluster and check Raft's safety properties
          {BenchCommand.Usage}
              measure the pure core's cost per committed entry
        """;
}
