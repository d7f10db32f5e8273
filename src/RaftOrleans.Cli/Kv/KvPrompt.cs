using System.Text;
using RaftOrleans.Client;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Kv;

/// <summary>The interactive prompt (`raftctl` on a terminal, or `raftctl repl`): the key-value commands over one
/// connection, plus help and exit. A refused or failed command prints its one line and the prompt goes on.</summary>
public static class KvPrompt
{
    public const string Usage = "usage: raftctl repl " + KvConnection.OptionsUsage + "   (raftctl with no arguments on a terminal)";

    private const string PromptHelp = """
        commands: put KEY VALUE | get KEY [--stale] | del KEY | cas KEY EXPECTED NEW | cas KEY --absent NEW
                  list PREFIX [--limit N] [--stale] | leader | help | exit
        quote words with spaces: put greeting "hello world"
        """;

    public static async Task<int> RunAsync(string[] args, TextReader input, TextWriter output, TextWriter error)
    {
        KvConnection connection;
        try
        {
            connection = KvConnection.Open(new CommandArguments(args, KvConnection.ValueOptions, new HashSet<string>()), connects: NodeConnects.AllAtOnce);
        }
        catch (UsageException e)
        {
            await error.WriteLineAsync($"raftctl: {e.Message}");
            await error.WriteLineAsync(Usage);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is LauncherException or ConfigException)
        {
            return await ExitCodes.ReportNoClusterAsync(error, "raftctl", e);
        }

        await using (connection)
        {
            await output.WriteLineAsync("raftctl: type 'help' for commands, 'exit' to leave");
            while (true)
            {
                await output.WriteAsync("raftctl> ");
                await output.FlushAsync();
                var line = await input.ReadLineAsync();
                if (line is null)
                {
                    await output.WriteLineAsync();
                    return ExitCodes.Done;
                }
                if (!TrySplit(line, out var words, out var problem))
                {
                    await error.WriteLineAsync(problem);
                    continue;
                }
                if (words.Count == 0)
                {
                    continue;
                }
                switch (words[0])
                {
                    case "exit" or "quit":
                        return ExitCodes.Done;
                    case "help" or "?":
                        await output.WriteLineAsync(PromptHelp);
                        continue;
                }
                try
                {
                    var request = KvRequest.Parse(words[0], new CommandArguments(words.Skip(1).ToArray(), new HashSet<string>(KvRequest.ValueOptions) { "--limit" }, KvRequest.Flags));
                    if (KvExecutor.Problem(request) is { } invalid)
                    {
                        throw new UsageException($"{request.Verb}: {invalid}");
                    }
                    await KvExecutor.ExecuteAsync(request, connection.Client, output, error);
                }
                catch (UsageException e)
                {
                    await error.WriteLineAsync($"{e.Message} (type 'help')");
                }
            }
        }
    }

    /// <summary>Splits a line into words; double quotes group words with spaces, \" and \\ escape.</summary>
    public static bool TrySplit(string line, out List<string> words, out string problem)
    {
        words = [];
        problem = "";
        var word = new StringBuilder();
        var inWord = false;
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted && c == '\\' && i + 1 < line.Length && line[i + 1] is '"' or '\\')
            {
                word.Append(line[++i]);
            }
            else if (c == '"')
            {
                quoted = !quoted;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }
        if (quoted)
        {
            problem = "unterminated quote";
            return false;
        }
        if (inWord)
        {
            words.Add(word.ToString());
        }
        return true;
    }
}
