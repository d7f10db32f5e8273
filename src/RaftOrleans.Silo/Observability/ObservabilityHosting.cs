using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using RaftOrleans.Grains.Metrics;
using RaftOrleans.Hosting.Configuration;

namespace RaftOrleans.Silo.Observability;

/// <summary>Metrics and health for one silo, when its configuration asks for them (`metrics.port`,
/// `metrics.otlpEndpoint`; both off by default): the "RaftOrleans" meter (the node's state from
/// <see cref="NodeObserver"/>, the write stages) and Orleans' own "Microsoft.Orleans" meter, exported
/// through OpenTelemetry to a Prometheus scrape endpoint and/or an OTLP collector.</summary>
public static class ObservabilityHosting
{
    /// <summary>Orleans' own meter (messaging, grains, catalog, membership...).</summary>
    public const string OrleansMeterName = "Microsoft.Orleans";

    private static MeterProviderBuilder Export(MeterProviderBuilder metrics, NodeConfig config)
    {
        if (config.MetricsPort is not null)
        {
            metrics.AddPrometheusExporter();
        }

        if (config.OtlpEndpoint is { } endpoint)
        {
            metrics.AddOtlpExporter(options =>
            {
                options.Protocol = OtlpExportProtocol.HttpProtobuf;
                // Given programmatically, the endpoint is used as it is: the metrics path must be on it.
                options.Endpoint = endpoint.AbsolutePath is "/" or "" ? new Uri(endpoint, "v1/metrics") : endpoint;
            });
        }

        return metrics;
    }

    /// <summary>Call after UseOrleans: the observer's first reading then finds the node activated.</summary>
    public static void AddObservability(this HostApplicationBuilder builder, NodeConfig config)
    {
        if (config.MetricsPort is null && config.OtlpEndpoint is null)
        {
            return;
        }

        builder.Services.AddSingleton<NodeObserver>();
        builder.Services.AddHostedService(services => services.GetRequiredService<NodeObserver>());
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => Export(metrics.AddMeter(WriteStages.MeterName), config));
        // Orleans' meter has its own provider, scraped at /metrics/orleans: its names, units and labels are
        // Orleans' (no help texts, camelCase labels, ms and MB), which promtool's lint flags; /metrics, all ours,
        // passes it clean.
        builder.Services.AddSingleton(_ => new OrleansMeterProvider(
            Export(Sdk.CreateMeterProviderBuilder().AddMeter(OrleansMeterName), config).Build()));
        // Resolved at start, so that OTLP alone (no scrape port to ask for it) exports Orleans' meter too.
        builder.Services.AddHostedService(services => services.GetRequiredService<OrleansMeterProvider>());
        if (config.MetricsPort is { } port)
        {
            builder.Services.AddHostedService(services => new ObservabilityServer(services, config.AdvertisedAddress, port));
        }
    }
}

/// <summary>The provider of Orleans' own meter (see <see cref="ObservabilityHosting.AddObservability"/>); disposed with the silo.</summary>
public sealed class OrleansMeterProvider(MeterProvider provider) : IHostedService, IDisposable
{
    public MeterProvider Provider { get; } = provider;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() => Provider.Dispose();
}
