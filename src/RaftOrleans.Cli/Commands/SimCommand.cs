using RaftOrleans.Simulation;

namespace RaftOrleans.Cli.Commands;

/// <summary>`raftctl sim`: one seeded simulated cluster, its timeline and the checkers' verdict.</summary>
public static class SimCommand
{
    public const string Usage =
        "raftctl sim [--nodes 3..7] [--seed N] [--ticks N] [--drop P] [--duplicate P] [--delay MAX_TICKS] [--partitions] [--crashes]";

    public static int Run(string[] args, TextWriter output)
    {
        var options = new Options(args, ["nodes", "seed", "ticks", "drop", "duplicate", "delay"], ["partitions", "crashes"]);
        if (options.Positionals.Count > 0) throw new UsageException($"unexpected argument '{options.Positionals[0]}'; usage: {Usage}");
        var run = new RandomRunOptions
        {
            Nodes = options.GetInt("nodes", 5, 1, 9),
            Seed = options.GetInt("seed", 42, 0, int.MaxValue),
            Ticks = options.GetInt("ticks", 3000, 1, 10_000_000),
            DropRate = options.GetDouble("drop", 0, 0, 0.9),
            DuplicateRate = options.GetDouble("duplicate", 0, 0, 0.9),
            MaxDelayTicks = options.GetInt("delay", 1, 1, 100),
            Partitions = options.Has("partitions"),
            Crashes = options.Has("crashes"),
        };
        var result = RandomRun.Execute(run);
        output.Write(RandomRun.Render(run, result));
        return result.Passed ? 0 : 1;
    }
}
