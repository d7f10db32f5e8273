using System.Diagnostics;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;

namespace RaftOrleans.Grains.Metrics;

/// <summary>
/// The write-stage figures of this silo's node: each sample goes to the "RaftOrleans" meter (when
/// something listens) and into a cumulative histogram per stage that the node reports in its status.
/// One per silo (a singleton), so the figures survive a reactivation of the node grain. Thread safe:
/// the grain records from its scheduler, the storage serializer from pool threads.
/// </summary>
public sealed class RaftNodeMetrics
{
    private readonly KeyValuePair<string, object?> _nodeTag;
    private readonly Recorder[] _recorders = WriteStages.All.Select(stage => new Recorder(stage)).ToArray();

    public RaftNodeMetrics(RaftNodeSettings settings)
    {
        _nodeTag = new KeyValuePair<string, object?>("node", settings.NodeId);
    }

    public void Record(WriteStage stage, double value)
    {
        _recorders[stage.Ordinal].Record(value);
        if (stage.Instrument.Enabled) stage.Instrument.Record(value / stage.InstrumentDivisor, _nodeTag);
    }

    /// <summary>As <see cref="RecordSince(WriteStage, long)"/>, with the peer the sample is about as a
    /// "follower" tag on the meter (the status histogram merges the peers).</summary>
    public void RecordSince(WriteStage stage, long startTimestamp, string follower)
    {
        if (startTimestamp == 0) return;
        var value = Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
        _recorders[stage.Ordinal].Record(value);
        if (stage.Instrument.Enabled)
            stage.Instrument.Record(value / stage.InstrumentDivisor, _nodeTag, new KeyValuePair<string, object?>("follower", follower));
    }

    /// <summary>Records the ms since <paramref name="startTimestamp"/> (a Stopwatch timestamp; 0: unknown, nothing recorded).</summary>
    public void RecordSince(WriteStage stage, long startTimestamp)
    {
        if (startTimestamp != 0) Record(stage, Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds);
    }

    public void RecordBetween(WriteStage stage, long startTimestamp, long endTimestamp)
    {
        if (startTimestamp != 0 && endTimestamp >= startTimestamp)
            Record(stage, Stopwatch.GetElapsedTime(startTimestamp, endTimestamp).TotalMilliseconds);
    }

    public StageHistogram[] Snapshot() => _recorders.Select(recorder => recorder.Snapshot()).ToArray();

    private sealed class Recorder(WriteStage stage)
    {
        private readonly long[] _buckets = new long[StageBuckets.Count];
        private long _count;
        private double _sum;

        public void Record(double value)
        {
            lock (_buckets)
            {
                _buckets[StageBuckets.Of(value)]++;
                _count++;
                _sum += value;
            }
        }

        public StageHistogram Snapshot()
        {
            var buckets = new List<int>();
            var counts = new List<long>();
            lock (_buckets)
            {
                for (var i = 0; i < _buckets.Length; i++)
                {
                    if (_buckets[i] == 0) continue;
                    buckets.Add(i);
                    counts.Add(_buckets[i]);
                }
                return new StageHistogram(stage.Name, stage.Unit, _count, _sum, buckets.ToArray(), counts.ToArray());
            }
        }
    }
}
