namespace RaftOrleans.Cli.Kv;

/// <summary>The console's exit codes for key-value commands.</summary>
public static class ExitCodes
{
    public const int Done = 0;
    /// <summary>The cluster answered no: a cas whose expectation did not hold, a get or delete of an absent key.</summary>
    public const int Refused = 1;
    public const int Usage = 2;
    /// <summary>No answer before the deadline, no cluster found, or an outcome that is unknown.</summary>
    public const int Unavailable = 3;
    /// <summary>Stopped by Ctrl-C or SIGTERM (a run until stopped: bench, load), after its own cleanup; 128 + SIGINT, as shells report Ctrl-C.</summary>
    public const int Interrupted = 130;
}
