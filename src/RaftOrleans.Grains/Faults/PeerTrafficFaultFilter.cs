using System.Reflection;
using Microsoft.Extensions.Logging;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Logging;
using RaftOrleans.Grains.Hosting;

namespace RaftOrleans.Grains.Faults;

/// <summary>
/// Applies the fault table to this silo's outgoing Raft deliveries and to nothing else: only calls of
/// <see cref="IRaftNodeGrain.Deliver"/> (which only node grains make, to their peers) are touched;
/// Propose, GetStatus, the fault grains' own calls and Orleans' system traffic pass straight through.
/// The sender is this silo's node, the receiver the target grain's key.
/// A blocked or dropped batch is not sent and the call returns as if it had been (a lossy network:
/// Raft retries on its own). Dropping is per message; a delay holds the whole batch, and since a peer
/// link has only a few batches in flight (PeerSender) it behaves like a slow link (later messages queue
/// behind; with jitter a batch may overtake another, a reordering Raft tolerates).
/// </summary>
internal sealed class PeerTrafficFaultFilter(RaftNodeSettings settings, NetworkFaultState state, ILogger<PeerTrafficFaultFilter> logger)
    : IOutgoingGrainCallFilter
{
    private static readonly MethodInfo Deliver = typeof(IRaftNodeGrain).GetMethod(nameof(IRaftNodeGrain.Deliver))!;

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        if (context.InterfaceMethod != Deliver)
        {
            await context.Invoke();
            return;
        }

        if (!state.Synced) return; // fail closed until this silo knows the faults in force
        var faults = state.Current;
        if (faults.IsEmpty)
        {
            await context.Invoke();
            return;
        }

        var from = settings.NodeId;
        var to = context.TargetId.Key.ToString()!;
        if (faults.Blocks(from, to)) return;

        var dropProbability = faults.DropProbability(from, to);
        if (dropProbability > 0 && context.Request.GetArgument(0) is WireMessage[] batch)
        {
            var kept = batch.Where(_ => Random.Shared.NextDouble() >= dropProbability).ToArray();
            if (kept.Length == 0) return;
            if (kept.Length < batch.Length) context.Request.SetArgument(0, kept);
        }

        var delay = faults.SampleDelay(from, to, Random.Shared);
        if (delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(delay, context.Request.GetCancellationToken());
            }
            catch (OperationCanceledException)
            {
                logger.DelayedDeliveryTimedOut(from, to, delay);
                throw;
            }
        }
        await context.Invoke();
    }
}
