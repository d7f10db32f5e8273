using Microsoft.Extensions.Logging;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Logging;

namespace RaftOrleans.Grains.Hosting;

/// <summary>
/// Activates this silo's Raft node when the silo becomes active, and keeps it active: it pings the
/// node every second, so a node that deactivated (fenced by a newer activation, or failed) comes back
/// from storage without waiting for a peer's message. Stops first on shutdown, so it never re-activates
/// a node the silo is deactivating.
/// </summary>
internal sealed class RaftNodeActivator(RaftNodeSettings settings, IGrainFactory grainFactory, ILocalSiloDetails silo,
    ILogger<RaftNodeActivator> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private static readonly TimeSpan PingInterval = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stopping = new();
    private Task? _keepAlive;

    public void Participate(ISiloLifecycle lifecycle)
    {
        lifecycle.Subscribe(nameof(RaftNodeActivator), ServiceLifecycleStage.RuntimeInitialize, CheckSiloName, _ => Task.CompletedTask);
        lifecycle.Subscribe(nameof(RaftNodeActivator), ServiceLifecycleStage.Active, Start, Stop);
    }

    private Task CheckSiloName(CancellationToken ct)
    {
        if (silo.Name != settings.NodeId)
            throw new InvalidOperationException(
                $"this silo is named '{silo.Name}' but hosts Raft node '{settings.NodeId}'; the node is pinned to the silo of " +
                "the same name, so set the silo name to the node id");
        return Task.CompletedTask;
    }

    private Task Start(CancellationToken ct)
    {
        _keepAlive = KeepAliveAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken ct)
    {
        await _stopping.CancelAsync();
        if (_keepAlive is not null) await _keepAlive.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task KeepAliveAsync(CancellationToken stopping)
    {
        var node = grainFactory.GetGrain<IRaftNodeGrain>(settings.NodeId);
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await node.GetStatus().WaitAsync(stopping);
                if (failures > 0) logger.ActiveAgain(settings.NodeId);
                failures = 0;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (failures++ == 0) logger.ActivationFailed(settings.NodeId, e.Message);
            }
            try
            {
                await Task.Delay(failures > 0 ? TimeSpan.FromMilliseconds(200) : PingInterval, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
