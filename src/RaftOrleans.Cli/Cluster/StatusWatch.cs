using System.Diagnostics;
using RaftOrleans.Client.Connections;

namespace RaftOrleans.Cli.Cluster;

/// <summary>
/// `raftctl status --watch`: the status table again every interval, over one client per node kept
/// between frames (<see cref="NodeStatusPoller"/>). On a terminal the table is redrawn in place, the
/// cells that changed since the last frame in reverse video, the cursor hidden until the watch ends
/// (Ctrl-C), when the terminal is left as it was with the last frame on it. Elsewhere (a pipe, a file)
/// each frame follows the last, changed cells marked with '*'. Under the table: what changed, and the
/// changes of the last minute with their times, so a failover stays readable after it happened.
/// </summary>
public static class StatusWatch
{
    private const string Escape = "\u001b[";
    private const int RecentChanges = 6;
    private static readonly TimeSpan RecentFor = TimeSpan.FromMinutes(1);

    public static async Task RunAsync(ClusterEndpoints cluster, TimeSpan interval, TimeSpan timeout, TextWriter output, bool terminal,
        CancellationToken stop)
    {
        await using var poller = new NodeStatusPoller(cluster, timeout);
        var recent = new Queue<(DateTime At, string Note)>();
        IReadOnlyList<NodeStatusRow>? previous = null;
        if (terminal)
        {
            output.Write($"{Escape}?25l{Escape}2J");
        }

        try
        {
            while (!stop.IsCancellationRequested)
            {
                var started = Stopwatch.GetTimestamp();
                var rows = await poller.PollAsync(stop);
                var changes = StatusChanges.Between(previous, rows);
                var now = DateTime.UtcNow;
                foreach (var note in changes.Notes)
                {
                    recent.Enqueue((now, note));
                }

                while (recent.Count > RecentChanges || (recent.Count > 0 && now - recent.Peek().At > RecentFor))
                {
                    recent.Dequeue();
                }

                var frame = Frame(cluster.ClusterId, rows, changes, recent, interval, now, terminal);
                output.Write(terminal ? InPlace(frame) : frame + Environment.NewLine);
                output.Flush();
                previous = rows;
                var wait = interval - Stopwatch.GetElapsedTime(started);
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl-C: the normal end of a watch.
        }
        finally
        {
            if (terminal)
            {
                output.Write($"{Escape}0m{Escape}?25h");
                output.Flush();
            }
        }
    }

    /// <summary>One frame's text: a heading, the table with its marks and notes, the recent changes.</summary>
    public static string Frame(string clusterId, IReadOnlyList<NodeStatusRow> rows, StatusChanges changes,
        IEnumerable<(DateTime At, string Note)> recent, TimeSpan interval, DateTime now, bool terminal)
    {
        using var frame = new StringWriter();
        frame.WriteLine($"cluster {clusterId}  {now:HH:mm:ss.f} UTC  every {interval.TotalMilliseconds:0} ms  (Ctrl-C to stop)");
        StatusTable.Write(frame, rows, changes, terminal ? StatusTable.Mark.Reverse : StatusTable.Mark.Star);
        var earlier = recent.ToArray();
        if (earlier.Length > 0)
        {
            frame.WriteLine("recent changes:");
            foreach (var (at, note) in earlier)
            {
                frame.WriteLine($"  {at:HH:mm:ss.f}  {note}");
            }
        }

        return frame.ToString();
    }

    /// <summary>The frame drawn over the last one: from the top left, each line cleared to its end, and
    /// whatever the last frame had below this one cleared.</summary>
    private static string InPlace(string frame)
    {
        var lines = frame.TrimEnd('\n', '\r').Split('\n').Select(line => line.TrimEnd('\r') + $"{Escape}K");
        return $"{Escape}H" + string.Join("\n", lines) + $"\n{Escape}J";
    }
}
