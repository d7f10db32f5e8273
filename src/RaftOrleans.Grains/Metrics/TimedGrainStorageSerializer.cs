using System.Diagnostics;
using Orleans.Storage;

namespace RaftOrleans.Grains.Metrics;

/// <summary>The node's grain storage serializer, timed: how long each row takes to serialize and how large
/// it is (the rest of a storage write is ADO.NET and the database).</summary>
internal sealed class TimedGrainStorageSerializer(IGrainStorageSerializer inner, RaftNodeMetrics metrics) : IGrainStorageSerializer
{
    public BinaryData Serialize<T>(T? input)
    {
        var started = Stopwatch.GetTimestamp();
        var data = inner.Serialize(input);
        metrics.RecordSince(WriteStages.RowSerialize, started);
        metrics.Record(WriteStages.RowBytes, data.ToMemory().Length);
        return data;
    }

    public T? Deserialize<T>(BinaryData input) => inner.Deserialize<T>(input);
}
