using RaftOrleans.Hosting.Configuration;

namespace RaftOrleans.Cli;

/// <summary>raftctl's one exit-code scheme, for every command (README, "Exit codes"). A script can tell
/// "the cluster said no" (1) from "nothing was tried" (2) from "no answer, the outcome may be unknown" (3).</summary>
public static class ExitCodes
{
    public const int Done = 0;

    /// <summary>The command ran and the answer is no: a cas whose expectation did not hold, a get or delete of
    /// an absent key, a node that is not a member, a history that is not linearizable, a demo step or a
    /// simulated property that failed, a benchmark that measured nothing, a silo the launcher could not start.</summary>
    public const int Refused = 1;

    /// <summary>Nothing was tried: a bad command line, or a configuration file that does not load.</summary>
    public const int Usage = 2;

    /// <summary>No answer in time: no cluster found, no node answered, no leader before the deadline, or a write
    /// whose outcome is unknown (it may have taken effect); `check` that could not decide within its limit.</summary>
    public const int Unavailable = 3;

    /// <summary>Stopped by Ctrl-C or SIGTERM (a run until stopped: bench, load, demo), after its own cleanup;
    /// 128 + SIGINT, as shells report Ctrl-C.</summary>
    public const int Interrupted = 130;

    /// <summary>For an error met while finding the cluster, before anything was sent: a client config that does
    /// not load is the caller's to fix (<see cref="Usage"/>); no cluster where one was looked for is <see cref="Unavailable"/>.</summary>
    public static int ForNoCluster(Exception e) => e is ConfigException ? Usage : Unavailable;

    /// <summary>Says why no cluster could be reached, on one line after <paramref name="prefix"/> (a config error
    /// speaks for itself; anything else is "no cluster: ..."), and returns <see cref="ForNoCluster"/>'s code.</summary>
    public static async Task<int> ReportNoClusterAsync(TextWriter error, string prefix, Exception e)
    {
        await error.WriteLineAsync($"{prefix}: {(e is ConfigException ? "" : "no cluster: ")}{e.Message}");
        return ForNoCluster(e);
    }
}
