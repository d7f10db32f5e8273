using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Kv;

/// <summary>`raftctl put|get|del|cas|list|leader ...`: one command, one connection, one exit code.</summary>
public static class KvCommandLine
{
    public static readonly IReadOnlySet<string> ValueOptions =
        new HashSet<string>(KvConnection.ValueOptions.Concat(KvRequest.ValueOptions)) { "--limit" };

    public static int Run(string verb, string[] args, TextWriter output, TextWriter error) =>
        RunAsync(verb, args, output, error).GetAwaiter().GetResult();

    public static async Task<int> RunAsync(string verb, string[] args, TextWriter output, TextWriter error)
    {
        KvRequest request;
        CommandArguments arguments;
        try
        {
            arguments = new CommandArguments(args, ValueOptions, KvRequest.Flags);
            request = KvRequest.Parse(verb, arguments);
            if (KvExecutor.Problem(request) is { } problem)
            {
                throw new UsageException($"{verb}: {problem}");
            }
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl: {e.Message}");
            return ExitCodes.Usage;
        }

        KvConnection connection;
        try
        {
            connection = KvConnection.Open(arguments);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is LauncherException or ConfigException)
        {
            return await ExitCodes.ReportNoClusterAsync(error, $"raftctl {verb}", e);
        }

        await using (connection)
        {
            return await KvExecutor.ExecuteAsync(request, connection.Client, output, error);
        }
    }
}
