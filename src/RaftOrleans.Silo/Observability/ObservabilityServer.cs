using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using RaftOrleans.Grains.Metrics;

namespace RaftOrleans.Silo.Observability;

/// <summary>
/// The silo's HTTP port (`metrics.port`): GET /metrics (Prometheus text format), /metrics/orleans, /healthz (the process
/// and its node grain are alive) and /readyz (the node leads, or heard from a leader within an election
/// timeout); 200 or 503, with a one-line reason. A small Kestrel app of its own beside the Orleans host,
/// so the silo's host stays a plain generic host and nothing listens when no port is configured.
/// </summary>
internal sealed class ObservabilityServer(IServiceProvider siloServices, IPAddress address, int port) : IHostedService
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // The empty builder, not the slim one: the slim builder reads appsettings.json from the working directory
        // with reload on change, which watches that folder and every folder below it. With the cluster's data
        // under the working directory (`raftctl cluster up` in the checkout) every SQLite write became an
        // inotify event the silo read and filtered: 5-9% of the leader's CPU at 64 clients (issue 11). This
        // server needs no configuration; Kestrel and routing are added by hand.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "raft-silo-observability" });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        // The silo's own host handles SIGTERM; this one is stopped by it (StopAsync below).
        builder.Services.AddSingleton<IHostLifetime, SiloOwnedLifetime>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, port));
        var app = builder.Build();
        var meterProvider = siloServices.GetRequiredService<MeterProvider>();
        var observer = siloServices.GetRequiredService<NodeObserver>();
        // The longer path first: a branch for /metrics would also take /metrics/orleans.
        app.UseOpenTelemetryPrometheusScrapingEndpoint(siloServices.GetRequiredService<OrleansMeterProvider>().Provider, predicate: null,
            path: "/metrics/orleans", configureBranchedPipeline: null, optionsName: null);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(meterProvider, predicate: null, path: "/metrics",
            configureBranchedPipeline: null, optionsName: null);
        app.MapGet("/healthz", context => Answer(context, observer, NodeHealth.Liveness));
        app.MapGet("/readyz", context => Answer(context, observer, status => NodeHealth.Readiness(status, observer.ElectionTimeout)));
        app.MapGet("/", () => "raft-silo: GET /metrics (RaftOrleans, Prometheus text), /metrics/orleans (Orleans' own meters), /healthz, /readyz\n");
        await app.StartAsync(cancellationToken);
        _app = app;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken);
            await app.DisposeAsync();
        }
    }

    private static async Task Answer(HttpContext context, NodeObserver observer, Func<Contracts.NodeStatus, HealthVerdict> judge)
    {
        HealthVerdict verdict;
        try
        {
            verdict = judge(await observer.ReadAsync(context.RequestAborted));
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            verdict = new HealthVerdict(false, $"node grain did not answer: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }

        context.Response.StatusCode = verdict.Ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync((verdict.Ok ? "ok: " : "not ok: ") + verdict.Reason + "\n", context.RequestAborted);
    }

    private sealed class SiloOwnedLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
