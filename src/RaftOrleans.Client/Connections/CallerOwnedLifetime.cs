using Microsoft.Extensions.Hosting;

namespace RaftOrleans.Client.Connections;

/// <summary>
/// The lifetime of a client host: it does nothing, because the process that connects (raftctl, a test, an
/// application) owns its own signals and stops the client itself (<see cref="ConnectedClusterClient"/>).
/// The default ConsoleLifetime would register SIGINT, SIGQUIT and SIGTERM for every client host, mark each
/// signal handled (so the runtime no longer ends the process) and only request the host's stop, which
/// nobody waits for since the host is started, never run: SIGTERM to `raftctl bench` or `raftctl load`
/// then did nothing at all, and a caller's own Ctrl-C handler competed with it.
/// </summary>
internal sealed class CallerOwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
