using System.Diagnostics;
using Microsoft.Extensions.Logging;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Metrics;
using RaftOrleans.Grains.Logging;

namespace RaftOrleans.Grains.Node;

/// <summary>
/// The outbound link to one peer: messages queue here and leave in batches, in order, one batch per
/// <see cref="Flush"/> (the loop flushes once per list of messages a Ready produced), each batch a one-way
/// delivery call with its own short timeout, at most <see cref="MaxBatchesInFlight"/> batches in flight
/// at a time. A call is in flight until it has left this silo: at once, unless the fault filter holds it
/// for an injected delay, so the bound is what makes a delayed link behave like a slow one (later
/// messages queue behind). A batch that fails or times out is dropped (Raft tolerates loss, and the
/// rare reordering of two batches as well); messages beyond <see cref="MaxQueuedMessages"/> are dropped
/// oldest first, so a link whose calls cannot leave costs bounded memory. Runs on the node grain's
/// scheduler, so it needs no locks.
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

    /// <summary>Queues <paramref name="message"/>; it leaves with the next <see cref="Flush"/>, so that the
    /// messages one Ready produces for this peer travel as one batch (one grain call) rather than one
    /// each.</summary>
    public void Enqueue(WireMessage message)
    {
        if (_stopped) return;
        _queue.Enqueue((message, Stopwatch.GetTimestamp()));
        while (_queue.Count > MaxQueuedMessages)
        {
            _queue.Dequeue();
            if (_droppedMessages++ % 1000 == 0)
                logger.OutboxFull(peerId, MaxQueuedMessages, _droppedMessages);
        }
    }

    /// <summary>Sends what is queued, as far as the batches in flight allow.</summary>
    public void Flush() => Pump();

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
            Launch(batch, leaves);
        }
    }

    private void Launch(WireMessage[] batch, long leaves)
    {
        _batchesInFlight++;
        _ = DeliverAsync(batch, leaves);
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
            logger.DeliveryFailed(batch.Length, peerId, e.Message);
        }
        finally
        {
            _batchesInFlight--;
            Pump();
        }
    }
}
