using RaftOrleans.Raft;
using RaftOrleans.Raft.Messages;

namespace RaftOrleans.Simulation;

/// <summary>
/// Drives a fault-free in-memory cluster as fast as the core allows, with storage reduced to keeping
/// what each Ready persists, so the cost measured is the core's own: stepping, Ready building, log
/// bookkeeping. No checker runs here.
/// </summary>
public sealed class CoreBenchmark
{
    private readonly Dictionary<string, RaftNode> _nodes = new();
    private readonly Queue<RaftMessage> _network = new();
    private readonly byte[] _command;
    private readonly bool _snapshots;

    /// <param name="snapshots">Take a snapshot (of a few bytes) whenever the core says one is due, as a
    /// host would, so the log is compacted as it grows.</param>
    public CoreBenchmark(int nodes, int commandBytes, bool snapshots = false, long snapshotThresholdEntries = 10_000)
    {
        _snapshots = snapshots;
        var ids = Enumerable.Range(1, nodes).Select(i => $"n{i}").ToArray();
        foreach (var id in ids)
        {
            var options = new RaftOptions
            {
                NodeId = id, Voters = ids, ElectionTicks = 10, HeartbeatTicks = 1,
                MaxEntriesPerAppend = 1024, MaxInflightAppends = 64,
                SnapshotThresholdEntries = snapshotThresholdEntries,
                // n1 is elected before any tick; with check-quorum, voters refuse votes for an election
                // timeout after they start (a lease safeguard), which a fault-free benchmark does not need.
                CheckQuorum = false,
            };
            _nodes[id] = new RaftNode(options, new Random(_nodes.Count + 1));
        }
        _command = new byte[commandBytes];
        Leader = _nodes[ids[0]];
        Leader.Campaign();
        Pump();
        if (Leader.Role != Role.Leader) throw new InvalidOperationException("benchmark cluster failed to elect n1");
    }

    public RaftNode Leader { get; }

    public IEnumerable<RaftNode> Nodes => _nodes.Values;

    public long StorageWrites { get; private set; }

    /// <summary>Proposes <paramref name="batches"/> batches of <paramref name="batchSize"/> commands,
    /// each batch replicated and committed before the next; returns the entries committed.</summary>
    public long Run(int batches, int batchSize)
    {
        var start = Leader.CommitIndex;
        for (var b = 0; b < batches; b++)
        {
            long last = 0;
            for (var i = 0; i < batchSize; i++) last = Leader.Propose(_command).Index;
            Pump();
            if (Leader.CommitIndex < last) throw new InvalidOperationException($"batch {b} did not commit ({Leader.CommitIndex} < {last})");
        }
        return Leader.CommitIndex - start;
    }

    private void Pump()
    {
        var busy = true;
        while (busy)
        {
            busy = false;
            foreach (var node in _nodes.Values)
            {
                while (node.HasReady)
                {
                    busy = true;
                    var ready = node.GetReady();
                    if (ready.MustPersist) StorageWrites++;
                    foreach (var message in ready.Messages) _network.Enqueue(message);
                    node.Advance(ready);
                    if (_snapshots && node.SnapshotDue) node.CreateSnapshot(BitConverter.GetBytes(node.AppliedIndex));
                }
            }
            while (_network.TryDequeue(out var message))
            {
                busy = true;
                _nodes[message.To].Step(message);
            }
        }
    }
}
