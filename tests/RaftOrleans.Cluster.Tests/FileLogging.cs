using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RaftOrleans.Cluster.Tests;

/// <summary>When RAFT_TEST_LOG_DIR is set, every silo of a test cluster appends its RaftOrleans logs
/// (and everyone's warnings) to &lt;dir&gt;/&lt;node&gt;.log: the story behind a failed test.</summary>
public static class FileLogging
{
    public const string Variable = "RAFT_TEST_LOG_DIR";

    public static void AddIfRequested(ISiloBuilder silo, string node)
    {
        var directory = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(directory)) return;
        Directory.CreateDirectory(directory);
        silo.Services.AddLogging(logging =>
        {
            logging.AddProvider(new FileLoggerProvider(Path.Combine(directory, node + ".log")));
            logging.AddFilter<FileLoggerProvider>((category, level) =>
                level >= LogLevel.Warning || (category?.StartsWith("RaftOrleans", StringComparison.Ordinal) == true && level >= LogLevel.Debug));
        });
    }

    private sealed class FileLoggerProvider(string path) : ILoggerProvider
    {
        private static readonly ConcurrentDictionary<string, object> Locks = new();
        private static readonly Stopwatch Clock = Stopwatch.StartNew();

        public ILogger CreateLogger(string categoryName) => new FileLogger(path, categoryName[(categoryName.LastIndexOf('.') + 1)..]);

        public void Dispose() { }

        private sealed class FileLogger(string path, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var line = $"{Clock.ElapsedMilliseconds,8} {logLevel,-11} {category}: {formatter(state, exception)}{(exception is null ? "" : " | " + exception)}\n";
                lock (Locks.GetOrAdd(path, _ => new object())) File.AppendAllText(path, line);
            }
        }
    }
}
