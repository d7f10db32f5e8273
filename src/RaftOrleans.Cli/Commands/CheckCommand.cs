using System.Globalization;
using RaftOrleans.History;
using RaftOrleans.History.Checker;

namespace RaftOrleans.Cli.Commands;

/// <summary>
/// <c>raftctl check FILE [--time-limit 60s]</c>: judges a recorded history file.
/// Exit codes (<see cref="ExitCodes"/>): 0 linearizable, 1 not linearizable (the offending window is printed),
/// 3 unknown (the time limit came first), 2 usage error or unreadable history.
/// </summary>
public static class CheckCommand
{
    public const int Linearizable = ExitCodes.Done;
    public const int NotLinearizable = ExitCodes.Refused;
    public const int UsageError = ExitCodes.Usage;
    public const int Unknown = ExitCodes.Unavailable;

    public const string Usage = "usage: raftctl check FILE [--time-limit 60s]   (limit units: ms, s, m)";

    private static readonly TimeSpan DefaultTimeLimit = TimeSpan.FromSeconds(60);

    /// <summary>Runs the command; <paramref name="args"/> are the words after "check".</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        if (!TryParseArguments(args, out var path, out var timeLimit, out var problem))
        {
            error.WriteLine($"raftctl check: {problem}");
            error.WriteLine(Usage);
            return UsageError;
        }
        List<HistoryEvent> history;
        try
        {
            history = HistoryJson.ReadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or HistoryFormatException)
        {
            error.WriteLine($"raftctl check: cannot read history {path}: {e.Message}");
            return UsageError;
        }
        CheckResult result;
        try
        {
            result = LinearizabilityChecker.Check(history, timeLimit);
        }
        catch (HistoryFormatException e)
        {
            error.WriteLine($"raftctl check: malformed history {path}: {e.Message}");
            return UsageError;
        }
        output.WriteLine(result.Describe());
        return result.Verdict switch
        {
            CheckVerdict.Linearizable => Linearizable,
            CheckVerdict.NotLinearizable => NotLinearizable,
            _ => Unknown,
        };
    }

    private static bool TryParseArguments(string[] args, out string path, out TimeSpan timeLimit, out string problem)
    {
        path = string.Empty;
        timeLimit = DefaultTimeLimit;
        problem = string.Empty;
        var paths = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--time-limit")
            {
                if (i + 1 == args.Length || !CommandArguments.TryParseDuration(args[++i], out timeLimit))
                {
                    problem = "--time-limit needs a positive duration such as 500ms, 60s or 2m";
                    return false;
                }
            }
            else if (args[i].StartsWith("--", StringComparison.Ordinal))
            {
                problem = $"unknown option {args[i]}";
                return false;
            }
            else
            {
                paths.Add(args[i]);
            }
        }
        if (paths.Count != 1)
        {
            problem = paths.Count == 0 ? "no history file given" : "give exactly one history file";
            return false;
        }
        path = paths[0];
        return true;
    }
}
