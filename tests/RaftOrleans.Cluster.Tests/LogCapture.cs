using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RaftOrleans.Cluster.Tests;

/// <summary>Keeps the warnings and errors the project's own code logs in each silo, for tests that
/// assert what an operator would read.</summary>
public sealed class LogCapture
{
    private readonly ConcurrentQueue<(string Node, LogLevel Level, string Message)> _lines = new();

    public void Install(ISiloBuilder silo, string node) =>
        silo.Services.AddLogging(logging => logging.AddProvider(new Provider(this, node)));

    public IReadOnlyList<(LogLevel Level, string Message)> Of(string node) =>
        _lines.Where(l => l.Node == node).Select(l => (l.Level, l.Message)).ToArray();

    private sealed class Provider(LogCapture capture, string node) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(capture, node, categoryName.StartsWith("RaftOrleans", StringComparison.Ordinal));

        public void Dispose() { }
    }

    private sealed class Logger(LogCapture capture, string node, bool ours) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => ours && logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) capture._lines.Enqueue((node, logLevel, formatter(state, exception)));
        }
    }
}
