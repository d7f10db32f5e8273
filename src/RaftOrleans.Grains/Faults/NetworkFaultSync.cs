using Microsoft.Extensions.Logging;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Logging;
using RaftOrleans.Grains.Hosting;

namespace RaftOrleans.Grains.Faults;

/// <summary>
/// Keeps this silo's fault table current by pulling the peers' tables (newest version wins): once when
/// the silo becomes active, then every <see cref="PullInterval"/>. The console pushes a new table to
/// every node it reaches; this pull is what brings a silo that was down, restarted or frozen during the
/// push up to date, so the table survives any silo's restart as long as one peer keeps it. The pull is
/// control-plane traffic, untouched by the faults themselves (like a test harness's side channel).
/// </summary>
internal sealed class NetworkFaultSync(RaftNodeSettings settings, NetworkFaultState state, IGrainFactory grainFactory,
    ILogger<NetworkFaultSync> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    public static readonly TimeSpan PullInterval = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan PeerTimeout = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stopping = new();
    private Task? _loop;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(NetworkFaultSync), ServiceLifecycleStage.Active, Start, Stop);

    private Task Start(CancellationToken ct)
    {
        _loop = PullLoopAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    private async Task Stop(CancellationToken ct)
    {
        await _stopping.CancelAsync();
        if (_loop is not null) await _loop.WaitAsync(ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task PullLoopAsync(CancellationToken stopping)
    {
        var peers = settings.Voters.Where(v => v != settings.NodeId).ToArray();
        while (!stopping.IsCancellationRequested)
        {
            var before = state.Current.Version;
            await Task.WhenAll(peers.Select(peer => PullAsync(peer, stopping)));
            state.MarkSynced();
            var now = state.Current;
            if (now.Version != before) logger.FaultsFromPeer(now.Version, now.Summary);
            try
            {
                await Task.Delay(PullInterval, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task PullAsync(string peer, CancellationToken stopping)
    {
        try
        {
            var table = await grainFactory.GetGrain<INetworkFaultsGrain>(peer).Get().WaitAsync(PeerTimeout, stopping);
            state.Adopt(table);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            // Down, frozen or not placeable: it has nothing to tell us now; the next round asks again.
            logger.PeerFaultsUnreadable(peer, e.Message);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
