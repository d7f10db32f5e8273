using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using RaftOrleans.Client.Connections;

namespace RaftOrleans.Cli.Dashboard;

/// <summary>
/// `raftctl dashboard`'s web server: GET / is the one page (embedded in raftctl), GET /events a stream of
/// server-sent events, one JSON <see cref="DashboardFrame"/> per reading of the cluster, and GET /frame the
/// latest frame alone. One poll loop reads every node (<see cref="NodeStatusPoller"/>, a client per node kept
/// between readings) and every open page gets the same frames; a page that connects later starts from the
/// latest one, history included.
/// </summary>
public sealed class DashboardServer : IAsyncDisposable
{
    public static readonly TimeSpan History = TimeSpan.FromMinutes(5);

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    private readonly WebApplication _app;
    private readonly NodeStatusPoller _poller;
    private readonly DashboardState _state;
    private readonly TimeSpan _interval;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private TaskCompletionSource<string> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _latest;
    private Task _polling = Task.CompletedTask;

    private DashboardServer(WebApplication app, ClusterEndpoints cluster, TimeSpan interval, TimeSpan timeout)
    {
        _app = app;
        _interval = interval;
        _poller = new NodeStatusPoller(cluster, timeout);
        _state = new DashboardState(cluster.ClusterId, History);
    }

    /// <summary>Where the page is (the port chosen when 0 was asked for).</summary>
    public Uri Address { get; private set; } = null!;

    /// <param name="port">0: any free port.</param>
    public static async Task<DashboardServer> StartAsync(ClusterEndpoints cluster, IPAddress address, int port, TimeSpan interval,
        TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ApplicationName = "raftctl-dashboard" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, port));
        var app = builder.Build();
        var server = new DashboardServer(app, cluster, interval, timeout);
        app.MapGet("/", PageAsync);
        app.MapGet("/events", server.EventsAsync);
        app.MapGet("/frame", server.FrameAsync);
        await app.StartAsync(cancellationToken);
        server.Address = new Uri(app.Urls.First().Replace("[::]", "localhost", StringComparison.Ordinal) + "/");
        server._polling = Task.Run(server.PollLoopAsync, CancellationToken.None);
        return server;
    }

    private async Task PollLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                var rows = await _poller.PollAsync(_stop.Token);
                Publish(JsonSerializer.Serialize(_state.Update(rows, DateTime.UtcNow), Json));
                var wait = _interval - Stopwatch.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _stop.Token);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void Publish(string frame)
    {
        TaskCompletionSource<string> published;
        lock (_gate)
        {
            _latest = frame;
            published = _next;
            _next = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        published.SetResult(frame);
    }

    private static async Task PageAsync(HttpContext context)
    {
        await using var page = typeof(DashboardServer).Assembly.GetManifestResourceStream("RaftOrleans.Cli.Dashboard.dashboard.html")
            ?? throw new InvalidOperationException("the dashboard page is missing from raftctl");
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await page.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private async Task FrameAsync(HttpContext context)
    {
        string? latest;
        lock (_gate) latest = _latest;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(latest ?? "null", context.RequestAborted);
    }

    /// <summary>Server-sent events: the latest frame at once, then every new one, until the page goes away.</summary>
    private async Task EventsAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
        using var gone = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stop.Token);
        string? frame;
        Task<string> next;
        lock (_gate)
        {
            frame = _latest;
            next = _next.Task;
        }

        try
        {
            // The retry line tells the browser how soon to reconnect after a lost stream (raftctl restarted).
            await context.Response.WriteAsync("retry: 1000\n\n", gone.Token);
            while (!gone.IsCancellationRequested)
            {
                if (frame is not null)
                {
                    await context.Response.WriteAsync($"data: {frame}\n\n", gone.Token);
                    await context.Response.Body.FlushAsync(gone.Token);
                }

                frame = await next.WaitAsync(gone.Token);
                lock (_gate) next = _next.Task;
            }
        }
        catch (OperationCanceledException)
        {
            // The page closed, or the dashboard stops.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _polling;
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(limit.Token);
        await _app.DisposeAsync();
        await _poller.DisposeAsync();
        _stop.Dispose();
    }
}
