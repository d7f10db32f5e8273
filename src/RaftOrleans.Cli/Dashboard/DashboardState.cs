using RaftOrleans.Cli.Cluster;
using RaftOrleans.Client.Connections;
using RaftOrleans.Contracts;

namespace RaftOrleans.Cli.Dashboard;

/// <summary>
/// What the dashboard shows, built from successive status readings of every node: the nodes now, the
/// leader changes on a timeline, and writes per second with their latency over the last minutes. Writes
/// are read from the "propose.total" stage histogram every node keeps (RaftOrleans.Grains' WriteStages:
/// one sample per proposal applied while the node led), so the figures need no client of their own: the
/// count and sum that grew between two readings are the writes of that interval and their total time.
/// Not thread safe: the dashboard's one poll loop updates it and hands out immutable frames.
/// </summary>
public sealed class DashboardState(string clusterId, TimeSpan history)
{
    /// <summary>The write stage that counts proposals answered by a leader, arrival to reply.</summary>
    public const string WriteStage = "propose.total";

    private const int MaxTimelineEvents = 200;

    private readonly Dictionary<string, (StageHistogram Writes, DateTime At)> _lastWrites = new(StringComparer.Ordinal);
    private readonly Queue<RatePoint> _rates = new();
    private readonly List<TimelineEvent> _timeline = [];
    private IReadOnlyList<NodeStatusRow>? _previous;
    private DateTime? _previousAt;

    public DashboardFrame Update(IReadOnlyList<NodeStatusRow> rows, DateTime at)
    {
        var changes = StatusChanges.Between(_previous, rows);
        foreach (var note in changes.Notes)
        {
            _timeline.Add(new TimelineEvent(at, note, StatusChanges.LeaderOf(rows)));
        }

        if (_previous is null && StatusChanges.LeaderOf(rows) is { } first)
        {
            _timeline.Add(new TimelineEvent(at, $"leader {first} in term {rows.Single(row => row.Node == first).Status!.Term}", first));
        }

        if (_timeline.Count > MaxTimelineEvents)
        {
            _timeline.RemoveRange(0, _timeline.Count - MaxTimelineEvents);
        }

        if (_previousAt is { } previousAt && at > previousAt)
        {
            _rates.Enqueue(Rate(rows, at));
        }
        else
        {
            Remember(rows, at);
        }

        while (_rates.Count > 0 && at - _rates.Peek().At > history)
        {
            _rates.Dequeue();
        }

        _previous = rows;
        _previousAt = at;
        return Frame(rows, at);
    }

    /// <summary>The writes answered since the last reading, summed over the nodes (only a leader answers, but
    /// a failover can split an interval between two). Each node's growth is spread over the time since that
    /// node's own last reading, so a node that missed readings (unreachable for a while) adds no spike. A
    /// node whose silo restarted (its histograms begin again) counts from its new start.</summary>
    private RatePoint Rate(IReadOnlyList<NodeStatusRow> rows, DateTime at)
    {
        StageHistogram? interval = null;
        var perSecond = 0.0;
        foreach (var row in rows)
        {
            if (row.Status is not { } status || status.Stages.FirstOrDefault(stage => stage.Stage == WriteStage) is not { } writes)
            {
                continue;
            }

            if (!_lastWrites.TryGetValue(row.Node, out var earlier))
            {
                continue; // its first reading: a start, not an interval
            }

            var grown = writes.Count < earlier.Writes.Count ? writes : writes.Minus(earlier.Writes);
            var seconds = (at - earlier.At).TotalSeconds;
            if (seconds > 0)
            {
                perSecond += grown.Count / seconds;
            }

            interval = interval is null ? grown : interval.Plus(grown);
        }

        Remember(rows, at);
        var count = interval?.Count ?? 0;
        return new RatePoint(at, perSecond, count == 0 ? null : interval!.Mean, count == 0 ? null : interval!.Percentile(0.99));
    }

    private void Remember(IReadOnlyList<NodeStatusRow> rows, DateTime at)
    {
        foreach (var row in rows)
        {
            if (row.Status?.Stages.FirstOrDefault(stage => stage.Stage == WriteStage) is { } writes)
            {
                _lastWrites[row.Node] = (writes, at);
            }
        }
    }

    private DashboardFrame Frame(IReadOnlyList<NodeStatusRow> rows, DateTime at)
    {
        var leader = StatusChanges.LeaderOf(rows);
        var leaderStatus = leader is null ? null : rows.Single(row => row.Node == leader).Status;
        var nodes = rows.Select(row => row.Status is { } s
            ? new DashboardNode(row.Node, true, null, s.Role.Name(), s.Term, s.Leader, s.CommitIndex, s.AppliedIndex, s.LastLogIndex,
                s.SnapshotIndex, leaderStatus is null ? null : Math.Max(0, leaderStatus.CommitIndex - s.AppliedIndex),
                s.MillisecondsSinceLeaderContact, s.Faults)
            : new DashboardNode(row.Node, false, row.Error, null, null, null, null, null, null, null, null, null, null)).ToArray();
        var faults = rows.Where(row => row.Status is not null).OrderByDescending(row => row.Status!.FaultsVersion)
            .Select(row => row.Status!.Faults).FirstOrDefault() ?? "unknown";
        return new DashboardFrame(clusterId, at, leader, leaderStatus?.Term, faults, nodes, _timeline.ToArray(), _rates.ToArray());
    }
}

public sealed record DashboardFrame(
    string Cluster, DateTime At, string? Leader, long? LeaderTerm, string Faults,
    IReadOnlyList<DashboardNode> Nodes, IReadOnlyList<TimelineEvent> Timeline, IReadOnlyList<RatePoint> Writes);

/// <summary>One node; <see cref="Lag"/> is how far its applied index is behind the leader's commit index.</summary>
public sealed record DashboardNode(
    string Node, bool Reachable, string? Error, string? Role, long? Term, string? Leader, long? Commit, long? Applied,
    long? LastLog, long? Snapshot, long? Lag, long? LeaderContactMs, string? Faults);

/// <summary>A change seen between two readings (see <see cref="StatusChanges"/>), and the leader after it.</summary>
public sealed record TimelineEvent(DateTime At, string Note, string? Leader);

/// <summary>Writes per second over one interval, their mean and p99 latency in ms (null: no write).</summary>
public sealed record RatePoint(DateTime At, double WritesPerSecond, double? MeanMs, double? P99Ms);
