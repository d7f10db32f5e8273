using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using RaftOrleans.Grains.Logging;

namespace RaftOrleans.Grains.Node;

// One activation speaks for a node at a time (issue 10, defect 5). The storage ETag stops a second
// activation's writes, but an activation that has nothing to write (a follower acknowledging heartbeats,
// a leader confirming a read round) never meets it. So the node row doubles as a lease:
// - an activation acts on a Ready (sends, applies, answers) only while it saw the row at its own version
//   less than a lease ago. Every successful write shows that; when none came for an election timeout, a
//   read of the row's version, off the loop, shows it (once per election timeout, never on the write
//   path). Only when even that did not succeed for a whole lease (storage slow or down) does the loop
//   wait for such a read before it acts.
// - a new activation first claims the row (rewrites it, moving its version), then does nothing for one
//   lease: by then the old one, whose last sighting of its own version began before the claim, has
//   stopped acting. What the old one sent before is a delayed message from a node that had not yet
//   changed, which Raft tolerates.
// The lease is two minimum election timeouts, on each silo's monotonic clock: only clock rates matter,
// and they agree far better than the margins here (a sighting counts from the start of its call).
public sealed partial class RaftNodeGrain
{
    /// <summary>When the last storage call that found the node row at this activation's version began.</summary>
    private long _nodeRowOwnedAt;

    /// <summary>Storage calls of the loop started so far, and whether one is running: a version read that
    /// overlapped one of our own writes says nothing (it may have seen the write before we know its version).</summary>
    private long _storageOpsStarted;
    private bool _storageOpInFlight;
    private bool _versionReadInFlight;

    private TimeSpan ElectionTimeout => TimeSpan.FromMilliseconds(_settings.ElectionTicks * _settings.TickIntervalMs);

    private TimeSpan NodeRowLease => 2 * ElectionTimeout;

    /// <summary>Makes the node row this activation's (see above) and waits out the previous one's lease.
    /// Throws when it cannot: the activation fails and the silo's activator tries again.</summary>
    private async Task ClaimNodeRowAsync()
    {
        var started = Stopwatch.GetTimestamp();
        await Task.Run(_store.ClaimAsync);
        _nodeRowOwnedAt = started;
        var hold = Task.Delay(NodeRowLease);
        try
        {
            // Rows of writes that never became durable: ours to delete now that the row is ours.
            await Task.Run(_store.SweepAsync);
        }
        catch (Exception e)
        {
            _logger.SweepFailed(NodeId, e.Message);
        }
        await hold;
    }

    /// <summary>Runs one storage call of the loop off the activation's thread; when it succeeds, the row
    /// was still ours as it began (a write with our version went in, or a version read matched).</summary>
    private async Task RunStorageOperationAsync(Func<Task> operation)
    {
        var started = Stopwatch.GetTimestamp();
        _storageOpsStarted++;
        _storageOpInFlight = true;
        try
        {
            await Task.Run(operation);
        }
        finally
        {
            _storageOpInFlight = false;
        }
        _nodeRowOwnedAt = Math.Max(_nodeRowOwnedAt, started);
        DeleteObsoleteRows(); // segments a truncation just unlinked (RaftNodeGrain.Snapshots.cs)
    }

    /// <summary>Called on every tick: once an election timeout passed without a sighting, reads the row's
    /// version in the background, so that the loop finds the lease fresh and never waits for it.</summary>
    private void RefreshNodeRowLease()
    {
        if (Stopped || _versionReadInFlight || _storageOpInFlight || Stopwatch.GetElapsedTime(_nodeRowOwnedAt) < ElectionTimeout) return;
        _ = ReadNodeRowVersionAsync();
    }

    private async Task ReadNodeRowVersionAsync()
    {
        _versionReadInFlight = true;
        var started = Stopwatch.GetTimestamp();
        var opsBefore = _storageOpsStarted;
        var expected = _store.DurableVersion;
        try
        {
            var found = await Task.Run(_store.ReadNodeRowVersionAsync);
            if (Stopped || _storageOpInFlight || _storageOpsStarted != opsBefore) return;
            if (found == expected)
            {
                _nodeRowOwnedAt = Math.Max(_nodeRowOwnedAt, started);
                return;
            }
            _logger.FencedOnRead(NodeId, _silo.Name, found ?? "none", expected ?? "none");
            Stop("fenced by a newer activation");
            DeactivateOnIdle();
        }
        catch (Exception e)
        {
            // Nothing lost: the lease runs out, and the loop then checks (and retries) before acting.
            _logger.VersionReadFailed(NodeId, e.Message);
        }
        finally
        {
            _versionReadInFlight = false;
        }
    }

    /// <summary>This activation saw its own version of the node row less than a lease ago.</summary>
    private bool NodeRowLeaseIsFresh => Stopwatch.GetElapsedTime(_nodeRowOwnedAt) < NodeRowLease;

    /// <summary>Before the loop acts on a Ready: true while the lease holds; otherwise reads the row's
    /// version (retrying while storage fails, as a write would) and stops this activation if another one
    /// has written the row.</summary>
    private Task<bool> EnsureNodeRowIsOursAsync()
    {
        if (NodeRowLeaseIsFresh) return Task.FromResult(true);
        return WriteDurablyAsync(async () =>
        {
            if (!await _store.OwnsNodeRowAsync())
                throw new InconsistentStateException($"the row of node {NodeId} was written by another activation");
        });
    }
}
