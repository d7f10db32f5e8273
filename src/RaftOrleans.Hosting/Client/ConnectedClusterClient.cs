using Microsoft.Extensions.Hosting;

namespace RaftOrleans.Hosting.Client;

/// <summary>A connected Orleans client and the host that runs it. Disposing stops it, waiting at most
/// <see cref="StopTimeout"/> (a frozen gateway must not hold up the caller).</summary>
public sealed class ConnectedClusterClient(IHost host, IClusterClient client) : IAsyncDisposable
{
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);

    public IClusterClient Client { get; } = client;

    public IServiceProvider Services => host.Services;

    public async ValueTask DisposeAsync()
    {
        var stopping = StopInBackground(host);
        await Task.WhenAny(stopping, Task.Delay(StopTimeout));
    }

    internal static async Task StopInBackground(IHost host)
    {
        try
        {
            using var limit = new CancellationTokenSource(StopTimeout);
            await host.StopAsync(limit.Token);
        }
        catch (Exception)
        {
            // Stopping is best effort: the connections die with the process at the latest.
        }
        finally
        {
            host.Dispose();
        }
    }
}
