using Microsoft.Extensions.Hosting;

namespace RaftOrleans.Client.Connections;

/// <summary>A connected Orleans client and the host that runs it. Disposing stops it, waiting at most
/// <see cref="StopTimeout"/> (a frozen gateway must not hold up the caller).</summary>
public sealed class ConnectedClusterClient(IHost host, IClusterClient client, GatewayWatch gateways) : IAsyncDisposable
{
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(2);

    public IClusterClient Client { get; } = client;

    /// <summary>Cancelled once the client has lost its connection to every gateway (a silo killed: its socket
    /// closed). Orleans itself lets a call that was waiting on that connection run to its response timeout;
    /// a caller can link this token to fail such calls at once.</summary>
    public CancellationToken AllGatewaysLost => gateways.AllLost;

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

/// <summary>Follows the client's count of connected gateways (Orleans reports each change).</summary>
public sealed class GatewayWatch
{
    private readonly CancellationTokenSource _allLost = new();

    public CancellationToken AllLost => _allLost.Token;

    public void OnGatewayCountChanged(int connectedGateways, int previouslyConnected)
    {
        if (connectedGateways == 0 && previouslyConnected > 0) Lost();
    }

    public void Lost() => _allLost.Cancel();
}
