using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using RaftOrleans.Hosting.Database;

namespace RaftOrleans.Client.Connections;

/// <summary>Connects Orleans clients to a RaftOrleans cluster with several gateways and short limits on
/// every wait, so that a dead or frozen silo costs a caller a second, not Orleans' 30 s default.</summary>
public static class ClusterClientFactory
{
    /// <summary>Connects, or throws <see cref="ClusterUnreachableException"/> once
    /// <see cref="ClusterClientSettings.ConnectTimeout"/> has passed.</summary>
    /// <param name="configureLogging">Optional: where the client's own log goes (default: nowhere).</param>
    /// <param name="onGatewaySocketOpen">Optional: called each time a TCP connection to a gateway is open, before
    /// Orleans' handshake on it (a frozen silo accepts the connection but never answers the handshake).</param>
    public static async Task<ConnectedClusterClient> ConnectAsync(
        ClusterClientSettings settings,
        CancellationToken cancellationToken = default,
        Action<ILoggingBuilder>? configureLogging = null,
        Action? onGatewaySocketOpen = null)
    {
        if (settings.Clustering is null && settings.Gateways.Count == 0)
        {
            throw new ArgumentException("Name the gateways or the membership table to read them from.", nameof(settings));
        }

        AdoNetProviders.Register();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "raftorleans-client",
        });
        builder.Logging.ClearProviders();
        // Replaces the default ConsoleLifetime: the signals are the calling process's, not this library host's.
        builder.Services.AddSingleton<IHostLifetime, CallerOwnedLifetime>();
        configureLogging?.Invoke(builder.Logging);
        var gateways = new GatewayWatch();
        builder.UseOrleansClient(client =>
        {
            client.AddGatewayCountChangedHandler((_, change) =>
                gateways.OnGatewayCountChanged(change.NumberOfConnectedGateways, change.PreviousNumberOfConnectedGateways));
            client.AddClusterConnectionLostHandler((_, _) => gateways.Lost());
            client.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = settings.ClusterId;
                options.ServiceId = settings.ServiceId;
            });
            if (settings.Clustering is { } clustering)
            {
                client.UseAdoNetClustering(options =>
                {
                    options.Invariant = clustering.Kind.AdoNetInvariant();
                    options.ConnectionString = clustering.ForClustering().ConnectionString;
                });
            }
            else
            {
                client.UseStaticClustering(settings.Gateways.ToArray());
            }

            client.Configure<ClientMessagingOptions>(options => options.ResponseTimeout = settings.ResponseTimeout);
            client.Configure<GatewayOptions>(options => options.GatewayListRefreshPeriod = settings.GatewayListRefreshPeriod);
            client.Configure<ConnectionOptions>(options => options.OpenConnectionTimeout = settings.OpenConnectionTimeout);
            if (onGatewaySocketOpen is not null)
            {
                // Connection middleware runs once the socket is open and before the handshake that follows it.
                client.Configure<ClientConnectionOptions>(options => options.ConfigureConnection(connection => connection.Use(next => context =>
                {
                    onGatewaySocketOpen();
                    return next(context);
                })));
            }
        });

        var host = builder.Build();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(settings.ConnectTimeout);
        try
        {
            // WaitAsync as well as the token: the limit must hold even where a connect step ignores the token.
            await host.StartAsync(deadline.Token).WaitAsync(deadline.Token);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            _ = ConnectedClusterClient.StopInBackground(host);
            var reason = e is OperationCanceledException
                ? $"no gateway answered within {settings.ConnectTimeout.TotalSeconds:0.#} s"
                : e.Message.Split('\n')[0];
            throw new ClusterUnreachableException(
                $"cannot reach cluster '{settings.ClusterId}' (gateways: {settings.DescribeGateways()}): {reason}", e);
        }
        catch
        {
            _ = ConnectedClusterClient.StopInBackground(host);
            throw;
        }

        return new ConnectedClusterClient(host, host.Services.GetRequiredService<IClusterClient>(), gateways);
    }
}
