using System.Runtime.InteropServices;

namespace RaftOrleans.Cli;

/// <summary>For a command that runs until stopped (status --watch, logs -f, dashboard, bench, load): a token cancelled by
/// Ctrl-C or SIGTERM instead of the process ending at once, so the command can restore the terminal, stop the
/// silos it started and close its connections before it exits normally. The one place raftctl takes these
/// signals: the Orleans client hosts leave them alone (CallerOwnedLifetime).</summary>
public sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly PosixSignalRegistration _terminate;
    private readonly CancellationTokenRegistration _announce;

    /// <param name="announcement">Written to <paramref name="announceTo"/> when a signal arrives (e.g. that the run
    /// stops its silos), so the user sees the signal was taken while the cleanup runs.</param>
    public StopSignal(TextWriter? announceTo = null, string? announcement = null)
    {
        if (announceTo is not null && announcement is not null)
            _announce = _stop.Token.Register(() => announceTo.WriteLine(announcement));
        Console.CancelKeyPress += OnCtrlC;
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            _stop.Cancel();
        });
    }

    public CancellationToken Token => _stop.Token;

    private void OnCtrlC(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        _stop.Cancel();
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCtrlC;
        _terminate.Dispose();
        _announce.Dispose();
        _stop.Dispose();
    }
}
