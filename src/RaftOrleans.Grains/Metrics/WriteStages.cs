using System.Diagnostics.Metrics;

namespace RaftOrleans.Grains.Metrics;

/// <summary>One measured stage of a write: a histogram of the "RaftOrleans" meter (instrument
/// <c>raftorleans.{Name}</c>, tagged with the node, durations in seconds) and, on the node, a cumulative histogram that
/// `status` reports (<see cref="Contracts.NodeStatus.Stages"/>).</summary>
public sealed class WriteStage
{
    internal WriteStage(int ordinal, string name, string unit, string description)
    {
        Ordinal = ordinal;
        Name = name;
        Unit = unit;
        // Prometheus (and promtool's lint) want durations in seconds: the meter gets seconds, with buckets
        // for them; the node's own histograms (status, bench --breakdown) keep ms.
        var inSeconds = unit == "ms";
        InstrumentDivisor = inSeconds ? 1000 : 1;
        Instrument = WriteStages.Meter.CreateHistogram($"raftorleans.{name}", inSeconds ? "s" : unit, description, tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = inSeconds ? SecondBuckets : unit == "bytes" ? ByteBuckets : CountBuckets });
    }

    private static readonly double[] SecondBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
    private static readonly double[] ByteBuckets = [64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216];
    private static readonly double[] CountBuckets = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

    public int Ordinal { get; }
    public string Name { get; }
    public string Unit { get; }
    internal Histogram<double> Instrument { get; }

    /// <summary>What a sample in <see cref="Unit"/> is divided by for <see cref="Instrument"/>.</summary>
    internal double InstrumentDivisor { get; }
}

/// <summary>
/// The stages of one write through the cluster, in the order a write meets them. Leader and follower
/// stages are recorded by whichever node plays that part; a reader tells them apart by the node's role.
/// Durations are in ms, taken with Stopwatch.GetTimestamp (cheap enough for every write).
/// </summary>
public static class WriteStages
{
    public const string MeterName = "RaftOrleans";

    internal static readonly Meter Meter = new(MeterName);

    private static readonly List<WriteStage> Stages = new();

    /// <summary>A proposal, from its arrival in Propose to the loop handing it to the core (the wait for the
    /// loop: a storage write in progress, or the turn in which it arrived).</summary>
    public static readonly WriteStage ProposeWait = Add("propose.wait", "ms", "proposal arrival to the core taking it");

    /// <summary>A storage write of one Ready, from the loop's call to the loop resuming: the next four.</summary>
    public static readonly WriteStage WriteTotal = Add("write.total", "ms", "one Ready's storage write, as the loop waits for it");

    /// <summary>Handing the write to the thread pool (Task.Run) until it starts.</summary>
    public static readonly WriteStage WriteQueue = Add("write.queue", "ms", "storage write: waiting for a pool thread");

    /// <summary>The store's persist: every row written (serialization, ADO.NET, the database's sync).</summary>
    public static readonly WriteStage WriteStorage = Add("write.storage", "ms", "storage write: the store's rows (serialize + ADO.NET + sync)");

    /// <summary>From the write's end on a pool thread to the loop running again on the grain's scheduler.</summary>
    public static readonly WriteStage WriteResume = Add("write.resume", "ms", "storage write: back on the grain");

    /// <summary>Serializing one row (grain storage serializer), any row the store writes.</summary>
    public static readonly WriteStage RowSerialize = Add("row.serialize", "ms", "serializing one storage row");

    /// <summary>The size of one serialized row.</summary>
    public static readonly WriteStage RowBytes = Add("row.bytes", "bytes", "one storage row, serialized");

    public static readonly WriteStage WriteEntries = Add("write.entries", "entries", "log entries per Ready storage write");

    public static readonly WriteStage WriteRows = Add("write.rows", "rows", "rows per Ready storage write");

    /// <summary>A message, from the moment a Ready hands it to the outbox to its batch leaving (one batch in
    /// flight per peer).</summary>
    public static readonly WriteStage SendWait = Add("send.wait", "ms", "outgoing message waiting for its batch to leave");

    /// <summary>One delivery call to a peer, until it has left this silo (one-way: no answer comes back).</summary>
    public static readonly WriteStage DeliverCall = Add("deliver.call", "ms", "one delivery call to a peer, until it has left this silo (deliveries are one-way)");

    /// <summary>Leader: an AppendEntries carrying entries, from the outbox until the follower's success
    /// for it arrives here (before it waits in the inbox).</summary>
    public static readonly WriteStage AppendRoundTrip = Add("append.rtt", "ms", "AppendEntries with entries to its acknowledgement's arrival");

    /// <summary>Follower: an AppendEntries with entries, from arrival to the core stepping it.</summary>
    public static readonly WriteStage AppendWait = Add("append.wait", "ms", "AppendEntries waiting in the follower's inbox");

    /// <summary>Follower: from the arrival of an AppendEntries with entries to its acknowledgement leaving the
    /// loop (inbox wait + storage write + the rest of the loop).</summary>
    public static readonly WriteStage AppendTurnaround = Add("append.turnaround", "ms", "AppendEntries arrival to its acknowledgement sent");

    /// <summary>Leader: an AppendEntries acknowledgement, from arrival to the core stepping it.</summary>
    public static readonly WriteStage AckWait = Add("ack.wait", "ms", "acknowledgement waiting in the leader's inbox");

    /// <summary>Leader: an entry with a waiting proposer, from the moment the core's commit index covered it
    /// to its apply (what the loop did between: the rest of its input, a storage write of newer entries).</summary>
    public static readonly WriteStage CommitWait = Add("commit.wait", "ms", "commit to apply");

    /// <summary>Leader: from the proposal's answer being set to Propose returning it (the grain scheduler's turn).</summary>
    public static readonly WriteStage ReplyWait = Add("reply.wait", "ms", "apply to the reply leaving Propose");

    /// <summary>Leader: a proposal that was applied, from its arrival in Propose to Propose returning.</summary>
    public static readonly WriteStage ProposeTotal = Add("propose.total", "ms", "Propose, arrival to reply, at the leader");

    public static IReadOnlyList<WriteStage> All => Stages;

    private static WriteStage Add(string name, string unit, string description)
    {
        var stage = new WriteStage(Stages.Count, name, unit, description);
        Stages.Add(stage);
        return stage;
    }
}
