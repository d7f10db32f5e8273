using RaftOrleans.Cli;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Cli.Commands;
using RaftOrleans.Cli.Demo;
using RaftOrleans.Cli.Kv;
using RaftOrleans.Cli.Membership;

// raftctl: the one console for RaftOrleans. Exit codes: 0 done, 1 refused or failed check,
// 2 usage error, 3 cluster unavailable or timed out.
// One console connects an Orleans client per node at once, each building its own host (CPU-bound, some of it
// blocking). On a 2-core machine the thread pool starts with 2 threads and adds one about every half second
// when starved, so a node's 1.5 s status limit could run out while its completed connect waited for a thread.
ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
ThreadPool.SetMinThreads(Math.Max(minWorkers, 32), Math.Max(minIo, 32));
var output = Console.Out;
var error = Console.Error;
if (args.Length == 0 && !Console.IsInputRedirected && !Console.IsOutputRedirected)
{
    // On a terminal: the interactive prompt. Without one (scripts, CI) the help and a usage error.
    return await KvPrompt.RunAsync([], Console.In, output, error);
}
if (args.Length == 0 || args[0] is "help" or "--help" or "-h")
{
    output.WriteLine(Help.Text);
    return args.Length == 0 ? 2 : 0;
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
        "put" or "get" or "del" or "cas" or "list" or "leader" => await KvCommandLine.RunAsync(args[0], rest, output, error),
        "repl" => await KvPrompt.RunAsync(rest, Console.In, output, error),
        "load" => await LoadCommand.RunUntilStoppedAsync(rest, output, error),
        _ => throw new UsageException($"unknown command '{args[0]}' (try 'raftctl help')"),
    };
}
catch (UsageException usage)
{
    error.WriteLine($"raftctl: {usage.Message}");
    return 2;
}
