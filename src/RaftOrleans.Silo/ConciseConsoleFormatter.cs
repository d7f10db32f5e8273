using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace RaftOrleans.Silo;

/// <summary>One short line per message: UTC time, level, the category's last name, the message, and of an
/// exception only its type and first line. Orleans' warnings carry whole stack traces otherwise, which
/// bury the few lines `raftctl cluster logs nX` is read for.</summary>
public sealed class ConciseConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "raft-concise";

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        var category = logEntry.Category[(logEntry.Category.LastIndexOf('.') + 1)..];
        textWriter.Write($"{DateTime.UtcNow:HH:mm:ss.fff} {Level(logEntry.LogLevel)} {category}: {FirstLine(message)}");
        if (logEntry.Exception is { } exception)
        {
            textWriter.Write($" [{exception.GetType().Name}: {FirstLine(exception.Message)}]");
        }

        textWriter.WriteLine();
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "WARN",
        LogLevel.Error => "FAIL",
        LogLevel.Critical => "CRIT",
        _ => "    ",
    };

    private static string FirstLine(string text)
    {
        var end = text.IndexOfAny(['\r', '\n']);
        return end < 0 ? text : text[..end];
    }
}
