using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using RaftOrleans.Cli.Cluster;
using RaftOrleans.Cli.Dashboard;
using RaftOrleans.Launcher;
using Xunit.Abstractions;

namespace RaftOrleans.System.Tests;

public sealed class ObservedCluster() : TestCluster(basePort: 24800)
{
    protected override UpOptions Options => new() { Nodes = 3 };
}

/// <summary>Watching a real cluster: each silo's /metrics (valid Prometheus text, by promtool), /healthz and
/// /readyz (a node that lost its leader stops being ready while it stays alive), and `status --watch`
/// and the dashboard in a real browser showing a failover as it happens.</summary>
[Collection(RealProcesses.Name)]
public sealed class ObservabilityTests(ObservedCluster cluster, ITestOutputHelper log) : IClassFixture<ObservedCluster>
{
    private const int ClusterSize = 3;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task Every_silo_serves_metrics_that_promtool_accepts_and_health_that_follows_the_leader()
    {
        await cluster.EnsureHealthyAsync();
        var rows = await cluster.WaitForAsync("a leader that every node follows",
            rows => TestCluster.AgreedLeader(rows, ClusterSize) is not null && rows.All(row => row.Reachable), Limit);
        var leader = TestCluster.AgreedLeader(rows, ClusterSize)!;

        foreach (var node in cluster.Launcher.State.Nodes)
        {
            var leaderSeries = Series("raftorleans_node_role", ("node", node.Node), ("role", "leader"));
            var metrics = await WaitForMetricsAsync(node, leaderSeries);
            Assert.Equal(Promtool(metrics, node.Node, "/metrics"), (0, ""));
            Assert.Equal(node.Node == leader ? "1" : "0", Value(metrics, leaderSeries));
            var term = rows.Single(row => row.Node == node.Node).Status!.Term;
            Assert.Equal(term.ToString(CultureInfo.InvariantCulture), Value(metrics, Series("raftorleans_node_term", ("node", node.Node))));
            Assert.NotNull(Value(metrics, Series("raftorleans_node_commit_index", ("node", node.Node))));
            Assert.NotNull(Value(metrics, Series("raftorleans_node_leader_changes_total", ("node", node.Node))));
            Assert.Contains("raftorleans_write_total_seconds_bucket{", metrics);
            Assert.NotNull(Value(metrics, Series("raftorleans_node_proposals_total", ("node", node.Node), ("outcome", "accepted"))));
            Assert.NotNull(Value(metrics, Series("raftorleans_node_reads_total", ("node", node.Node), ("kind", "stale"))));
            Assert.NotNull(Value(metrics, Series("raftorleans_node_inbox_depth", ("node", node.Node))));
            foreach (var follower in cluster.Launcher.State.Nodes.Where(n => n.Node != leader && node.Node == leader))
                Assert.NotNull(Value(metrics, Series("raftorleans_node_follower_lag", ("node", node.Node), ("follower", follower.Node))));

            // Orleans' own meters: names and labels are Orleans', so promtool's lint has notes on them
            // (exit 3: no help text, camelCase labels, ms); they must still parse (exit 1 would be a format error).
            var (orleansStatus, orleansMetrics) = await GetAsync(node, "/metrics/orleans");
            Assert.Equal(HttpStatusCode.OK, orleansStatus);
            Assert.Contains("orleans_grains{", orleansMetrics);
            Assert.DoesNotContain("raftorleans_", orleansMetrics);
            Assert.Contains(Promtool(orleansMetrics, node.Node, "/metrics/orleans").ExitCode, new[] { 0, 3 });

            // Nothing in a silo watches files: a watch on its working directory (ASP.NET's default reload of an
            // appsettings.json) made every SQLite write below that folder an inotify event for the silo to read.
            if (OperatingSystem.IsLinux())
                Assert.True(InotifyWatches(node.Pid) == 0, $"{node.Node} (pid {node.Pid}) holds {InotifyWatches(node.Pid)} inotify watches");

            var (health, healthBody) = await GetAsync(node, "/healthz");
            Assert.True(health == HttpStatusCode.OK, $"{node.Node} /healthz: {(int)health} {healthBody}");
            await WaitForStatusAsync(node, "/readyz", HttpStatusCode.OK);
        }

        // The survivor of a cluster that lost its other two nodes knows no live leader: not ready, still alive.
        var survivor = cluster.Launcher.State.Nodes.First(node => node.Node != leader);
        foreach (var other in cluster.Launcher.State.Nodes.Where(node => node.Node != survivor.Node))
        {
            cluster.Launcher.Kill(other.Node);
        }

        var notReady = await WaitForStatusAsync(survivor, "/readyz", HttpStatusCode.ServiceUnavailable);
        Assert.Contains(survivor.Node, notReady);
        var (stillAlive, aliveBody) = await GetAsync(survivor, "/healthz");
        Assert.True(stillAlive == HttpStatusCode.OK, $"{survivor.Node} /healthz after losing its peers: {(int)stillAlive} {aliveBody}");
        var (metricsStatus, _) = await GetAsync(survivor, "/metrics");
        Assert.Equal(HttpStatusCode.OK, metricsStatus);
    }

    [Fact]
    public async Task Status_watch_marks_the_killed_leader_unreachable_and_the_new_leader()
    {
        await cluster.EnsureHealthyAsync();
        var rows = await cluster.WaitForAsync("a leader that every node follows",
            rows => TestCluster.AgreedLeader(rows, ClusterSize) is not null && rows.All(row => row.Reachable), Limit);
        var oldLeader = TestCluster.AgreedLeader(rows, ClusterSize)!;
        var output = new LockedWriter();
        using var stop = new CancellationTokenSource();
        var watching = StatusWatch.RunAsync(cluster.Launcher.State.Endpoints(), TimeSpan.FromMilliseconds(300),
            TimeSpan.FromMilliseconds(1500), output, terminal: false, stop.Token);

        await WaitForOutputAsync(output, text => Regex.IsMatch(text, $@"(?m)^{oldLeader} +{oldLeader} +leader "), "the leader in a frame");
        cluster.Launcher.Kill(oldLeader);
        var text = await WaitForOutputAsync(output, text => Regex.IsMatch(text, @"changed: new leader n\d in term \d+"), "a new leader noted");

        stop.Cancel();
        await watching.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Matches($@"(?m)^{oldLeader} +- +unreachable\*", text);
        Assert.Contains($"changed: {oldLeader} unreachable", text);
        var newLeader = Regex.Match(text, @"changed: new leader (n\d)").Groups[1].Value;
        Assert.NotEqual(oldLeader, newLeader);
        // Its term may have risen a frame earlier (as a candidate) than the frame that shows it leading.
        Assert.Matches($@"(?m)^{newLeader} +{newLeader} +leader\* ", text);
        Assert.Matches($@"changed: term changed: .*{newLeader} \d+->\d+", text);
    }

    [Fact]
    public async Task The_dashboard_in_headless_chromium_shows_the_new_leader_once_the_leader_is_killed()
    {
        await cluster.EnsureHealthyAsync();
        var rows = await cluster.WaitForAsync("a leader that every node follows",
            rows => TestCluster.AgreedLeader(rows, ClusterSize) is not null && rows.All(row => row.Reachable), Limit);
        var oldLeader = TestCluster.AgreedLeader(rows, ClusterSize)!;
        var endpoints = cluster.Launcher.State.Endpoints();
        await using var dashboard = await DashboardServer.StartAsync(endpoints, IPAddress.Loopback, 0,
            TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(1500));
        using var stopWriting = new CancellationTokenSource();
        var writing = Task.Run(() => WriteUntilAsync(endpoints, stopWriting.Token));
        using var browser = HeadlessChromium.Start();
        try
        {
            browser.Navigate().GoToUrl(dashboard.Address);
            await WaitForPageAsync(browser, "the leader shown", () => Script(browser, "return document.getElementById('leader').dataset.leader") == oldLeader);
            await WaitForPageAsync(browser, "writes per second above 0", () => Script(browser, "return document.getElementById('writes-now').textContent") is { } now
                && now != "0");

            cluster.Launcher.Kill(oldLeader);
            var sinceKill = Stopwatch.StartNew();
            string? newLeader = null;
            await WaitForPageAsync(browser, "a new leader shown", () =>
            {
                newLeader = Script(browser, "return document.getElementById('leader').dataset.leader");
                return newLeader is { Length: > 0 } && newLeader != oldLeader;
            });
            log.WriteLine($"dashboard showed the new leader {newLeader} {sinceKill.ElapsedMilliseconds} ms after {oldLeader} was killed (poll every 300 ms)");
            Assert.Equal("unreachable", Script(browser, $"return document.getElementById('node-{oldLeader}').dataset.role"));
            Assert.Contains($"new leader {newLeader}", Script(browser, "return document.getElementById('timeline').textContent"));
            // A few more frames, so that the picture has the write gap and the writes resuming.
            await Task.Delay(TimeSpan.FromSeconds(3));
            var screenshot = Environment.GetEnvironmentVariable("RAFT_DASHBOARD_SCREENSHOT")
                ?? Path.Combine(Path.GetTempPath(), "raftorleans-dashboard-failover.png");
            browser.GetScreenshot().SaveAsFile(screenshot);
            log.WriteLine($"screenshot: {screenshot}");
        }
        finally
        {
            await stopWriting.CancelAsync();
            await writing;
            browser.Quit();
        }
    }

    private static string? Script(OpenQA.Selenium.IWebDriver browser, string script) =>
        ((OpenQA.Selenium.IJavaScriptExecutor)browser).ExecuteScript(script)?.ToString();

    private static async Task WaitForPageAsync(OpenQA.Selenium.IWebDriver browser, string what, Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Limit)
        {
            if (condition())
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"the dashboard did not show {what} within {Limit.TotalSeconds:0} s; page: {Script(browser, "return document.body.innerText")}");
    }

    /// <summary>Writes one after another, as a user's client would, so the page has writes to count; failures
    /// (the failover) are part of what it shows.</summary>
    private static async Task WriteUntilAsync(RaftOrleans.Client.Connections.ClusterEndpoints endpoints, CancellationToken stop)
    {
        await using var channel = new RaftOrleans.Client.OrleansNodeChannel(endpoints);
        var client = new RaftOrleans.Client.RaftKvClient(channel);
        for (var i = 0; !stop.IsCancellationRequested; i++)
        {
            try
            {
                await client.PutAsync($"dashboard-{i % 10}", i.ToString(CultureInfo.InvariantCulture), stop);
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                await Task.Delay(50, CancellationToken.None);
            }
            catch (Exception)
            {
                return; // stopped
            }
        }
    }

    private static async Task<string> WaitForOutputAsync(LockedWriter output, Func<string, bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Limit)
        {
            var text = output.Text;
            if (condition(text))
            {
                return text;
            }

            await Task.Delay(100);
        }

        var all = output.Text;
        Assert.Fail($"status --watch did not show {what} within {Limit.TotalSeconds:0} s; its output ended with: {all[Math.Max(0, all.Length - 1500)..]}");
        return "";
    }

    /// <summary>The watch writes from its loop while the test reads.</summary>
    /// <summary>How many inotify watches a process holds (the "inotify wd" lines of its inotify descriptors).</summary>
    private static int InotifyWatches(int pid)
    {
        var watches = 0;
        foreach (var descriptor in new DirectoryInfo($"/proc/{pid}/fd").EnumerateFileSystemInfos())
        {
            if (descriptor.LinkTarget != "anon_inode:inotify") continue;
            watches += File.ReadLines($"/proc/{pid}/fdinfo/{descriptor.Name}").Count(line => line.StartsWith("inotify wd:", StringComparison.Ordinal));
        }
        return watches;
    }

    private sealed class LockedWriter : StringWriter
    {
        public string Text
        {
            get
            {
                lock (this) return ToString();
            }
        }

        public override void Write(char value)
        {
            lock (this) base.Write(value);
        }

        public override void Write(string? value)
        {
            lock (this) base.Write(value);
        }
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(NodeState node, string path)
    {
        using var response = await Http.GetAsync($"http://127.0.0.1:{node.MetricsPort}{path}");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The scrape once it holds <paramref name="sample"/>: the node's observer takes its first
    /// reading shortly after the silo starts.</summary>
    private static Task<string> WaitForMetricsAsync(NodeState node, (string Name, (string Key, string Value)[] Labels) sample) =>
        PollAsync(node, "/metrics", (status, body) => status == HttpStatusCode.OK && Value(body, sample) is not null,
            $"show {sample.Name} {string.Join(",", sample.Labels)}");

    private static Task<string> WaitForStatusAsync(NodeState node, string path, HttpStatusCode expected) =>
        PollAsync(node, path, (status, _) => status == expected, $"answer {(int)expected}");

    /// <summary>GETs <paramref name="path"/> until <paramref name="done"/> holds; fails with the last answer.</summary>
    private static async Task<string> PollAsync(NodeState node, string path, Func<HttpStatusCode, string, bool> done, string what)
    {
        var clock = Stopwatch.StartNew();
        var last = "";
        while (clock.Elapsed < Limit)
        {
            try
            {
                var (status, body) = await GetAsync(node, path);
                last = $"{(int)status} {body[..Math.Min(body.Length, 300)].Trim()}";
                if (done(status, body))
                {
                    return body;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                last = e.Message;
            }

            await Task.Delay(200);
        }

        Assert.Fail($"{node.Node} {path} did not {what} within {Limit.TotalSeconds:0} s; last: {last}");
        return "";
    }

    /// <summary>A series as the exporter writes it: labels in the order given, after the scope label it adds first.</summary>
    private static (string Name, (string Key, string Value)[] Labels) Series(string name, params (string Key, string Value)[] labels) => (name, labels);

    /// <summary>The value of the one sample of <paramref name="series"/> (whatever other labels it has), or null.</summary>
    private static string? Value(string metrics, (string Name, (string Key, string Value)[] Labels) series)
    {
        var line = metrics.Split('\n').FirstOrDefault(line => line.StartsWith(series.Name + "{", StringComparison.Ordinal)
            && series.Labels.All(label => line.Contains($"{label.Key}=\"{label.Value}\"", StringComparison.Ordinal)));
        return line?[(line.LastIndexOf('}') + 2)..].Split(' ')[0];
    }

    /// <summary>Runs `promtool check metrics` on a scrape: its exit code and what it reported. Fails (never
    /// skips) when promtool is missing.</summary>
    private static (int ExitCode, string Report) Promtool(string metrics, string node, string path)
    {
        var promtool = HeadlessChromium.FindOnPath("promtool")
            ?? throw new Xunit.Sdk.XunitException("promtool is not installed: install Debian's prometheus package (bash .ci/observe.sh)");
        var start = new ProcessStartInfo(promtool, ["check", "metrics"])
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardInput.Write(metrics);
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill();
            Assert.Fail($"promtool check metrics on {node}'s {path} did not finish within 30 s");
        }

        return (process.ExitCode, (stdout.Result + stderr.Result).Trim());
    }

}
