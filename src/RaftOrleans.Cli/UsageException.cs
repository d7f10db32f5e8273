namespace RaftOrleans.Cli;

/// <summary>The command line was wrong; the message is the one line the user sees (exit code 2).</summary>
public sealed class UsageException(string message) : Exception(message);
