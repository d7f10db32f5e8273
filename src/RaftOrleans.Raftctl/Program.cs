using RaftOrleans.Cli;
using RaftOrleans.Cli.Kv;

// raftctl: the one console for RaftOrleans. Exit codes: one scheme for every command (ExitCodes.cs).
// One console connects an Orleans client per node at once, each building its own host (CPU-bound, some of it
// blocking). On a 2-core machine the thread pool starts with 2 threads and adds one about every half second
// when starved, so a node's 1.5 s status limit could run out while its completed connect waited for a thread.
ThreadPool.GetMinThreads(out var minWorkers, out var minIo);
ThreadPool.SetMinThreads(Math.Max(minWorkers, 32), Math.Max(minIo, 32));
if (args.Length == 0 && !Console.IsInputRedirected && !Console.IsOutputRedirected)
{
    // On a terminal: the interactive prompt. Without one (scripts, CI) the help and a usage error.
    return await KvPrompt.RunAsync([], Console.In, Console.Out, Console.Error);
}
return await Raftctl.RunAsync(args, Console.Out, Console.Error);
