using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Metrics;

namespace RaftOrleans.Grains.Node;

/// <summary>
/// The outbound link to one peer: messages queue here and leave in batches, in order, each batch with its
/// own short timeout, at most <see cref="MaxBatchesInFlight"/> batches in flight at a time. More than one:
/// with one, an acknowledgement or an AppendEntries that a Ready produced waited for the delivery call
/// before it (often a heartbeat's) to come back, a whole round trip, which the write-stage breakdown
/// showed as a large share of a write's latency. A few, not unbounded: a slow or frozen peer still holds
/// back the rest in the queue. A batch that fails or times out is dropped (Raft tolerates loss, and the
/// rare reordering of two batches in flight as well); messages beyond <see cref="MaxQueuedMessages"/> are
/// dropped oldest first, so a dead or frozen peer costs bounded memory. Runs on the node grain's scheduler,
/// so it needs no locks.
/// </summary>
internal sealed class PeerSender(string peerId, IRaftNodeGrain peer, TimeSpan callTimeout, ILogger logger, RaftNodeMetrics metrics)
{
    public const int MaxQueuedMessages = 4096;
    private const int MaxBatchMessages = 256;
    public const int MaxBatchesInFlight = 4;

    /// <summary>Each message with the Stopwatch timestamp it was queued at.</summary>
    private readonly Queue<(WireMessage Message, long QueuedAt)> _queue = new();
    private int _batchesInFlight;
    private bool _stopped;

    private long _droppedMessages;

    public void Enqueue(WireMessage message)
    {
        if (_stopped) return;
        _queue.Enqueue((message, Stopwatch.GetTimestamp()));
        while (_queue.Count > MaxQueuedMessages)
        {
            _queue.Dequeue();
            if (_droppedMessages++ % 1000 == 0)
                logger.LogWarning("Outbox to {Peer} is full ({Max} messages): dropping the oldest ({Dropped} so far)",
                    peerId, MaxQueuedMessages, _droppedMessages);
        }
        Pump();
    }

    public void Stop()
    {
        _stopped = true;
        _queue.Clear();
    }

    private void Pump()
    {
        while (_queue.Count > 0 && !_stopped && _batchesInFlight < MaxBatchesInFlight)
        {
            var batch = new WireMessage[Math.Min(_queue.Count, MaxBatchMessages)];
            var leaves = Stopwatch.GetTimestamp();
            for (var i = 0; i < batch.Length; i++)
            {
                var (message, queuedAt) = _queue.Dequeue();
                batch[i] = message;
                metrics.RecordBetween(WriteStages.SendWait, queuedAt, leaves);
            }
            _batchesInFlight++;
            _ = DeliverAsync(batch, leaves);
        }
    }

    private async Task DeliverAsync(WireMessage[] batch, long leaves)
    {
        try
        {
            using var timeout = new CancellationTokenSource(callTimeout);
            await peer.Deliver(batch, timeout.Token);
            metrics.RecordSince(WriteStages.DeliverCall, leaves);
        }
        catch (Exception e)
        {
            _droppedMessages += batch.Length;
            logger.LogDebug("Delivery of {Count} messages to {Peer} failed, dropped: {Error}", batch.Length, peerId, e.Message);
        }
        finally
        {
            _batchesInFlight--;
            Pump();
        }
    }
}
