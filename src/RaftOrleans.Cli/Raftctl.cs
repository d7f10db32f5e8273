using RaftOrleans.Cli.Cluster;
using RaftOrleans.Cli.Commands;
using RaftOrleans.Cli.Demo;
using RaftOrleans.Cli.Kv;
using RaftOrleans.Cli.Membership;

namespace RaftOrleans.Cli;

/// <summary>raftctl's dispatch from a command line to a command, with its help and its usage errors; the
/// process entry (Program.cs) adds only the interactive prompt on a terminal, so tests run any command line here.</summary>
public static class Raftctl
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
        {
            // `raftctl help put` as well as `raftctl put --help`.
            if (args is [_, var topic] && Help.Knows(topic))
            {
                output.WriteLine(Help.For(topic));
                return ExitCodes.Done;
            }
            output.WriteLine(Help.Text);
            return args.Length == 0 ? ExitCodes.Usage : ExitCodes.Done;
        }
        if (Help.Knows(args[0]) && Help.Asked(args[1..]))
        {
            output.WriteLine(Help.For(args[0]));
            return ExitCodes.Done;
        }
        try
        {
            var rest = args[1..];
            return args[0] switch
            {
                "demo" => DemoCommand.Run(rest, output, error),
                "sim" => SimCommand.Run(rest, output),
                "cluster" => ClusterCommand.Run(rest, output, error),
                "status" => StatusCommand.Run(rest, output, error),
                "dashboard" => RaftOrleans.Cli.Dashboard.DashboardCommand.Run(rest, output, error),
                "member" or "move-leader" => await MemberCommand.RunAsync(args[0], rest, output, error),
                "check" => CheckCommand.Run(rest, output, error),
                _ when FaultCommand.Verbs.Contains(args[0]) => FaultCommand.Run(args[0], rest, output, error),
                "bench" => BenchCommand.Run(rest, output, error),
                _ when KvRequest.Verbs.Contains(args[0]) => await KvCommandLine.RunAsync(args[0], rest, output, error),
                "repl" => await KvPrompt.RunAsync(rest, Console.In, output, error),
                "load" => await LoadCommand.RunUntilStoppedAsync(rest, output, error),
                _ => throw new UsageException($"unknown command '{args[0]}' (try 'raftctl help')"),
            };
        }
        catch (UsageException usage)
        {
            error.WriteLine($"raftctl: {usage.Message}");
            return ExitCodes.Usage;
        }
    }
}
