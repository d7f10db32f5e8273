using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Storage;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Metrics;
using RaftOrleans.Grains.Node;
using RaftOrleans.Grains.Storage;
using RaftOrleans.Grains.Wire;
using RaftOrleans.Raft;
using RaftOrleans.Raft.Messages;

namespace RaftOrleans.Grains;

// The processing loop: the only code that calls into the core. It follows the Ready contract
// (RaftOrleans.Raft/Ready.cs): feed everything queued, GetReady, persist (one storage write), send,
// apply, Advance, and again while there is work. Deliveries, ticks and proposals that arrive while it
// awaits storage only queue, so nothing reaches the core between GetReady and Advance, and everything
// that queued up folds into the next Ready (group commit).
public sealed partial class RaftNodeGrain
{
    private bool _processing;
    private int _storageFailures;

    /// <summary>The hard state last made durable (term and vote decide whether a Ready must be written).</summary>
    private HardState _writtenHardState;

    /// <summary>A hard state that differs from the written one only by a higher commit index: written with
    /// the next write (see <see cref="PersistAsync"/>).</summary>
    private HardState? _unwrittenCommit;

    /// <summary>Starts the loop unless it is already running; it drains everything queued.</summary>
    private void Kick()
    {
        if (_processing || Stopped) return;
        _processing = true;
        _ = ProcessAsync();
    }

    private async Task ProcessAsync()
    {
        try
        {
            // Let the calls Orleans is dispatching in this turn (a burst of proposals, a batch of
            // deliveries) queue up first, so they fold into one Ready.
            await Task.Yield();
            while (!Stopped)
            {
                FeedQueuedInput();
                if (!_core.HasReady) break;
                var ready = _core.GetReady();
                if (!await PersistAsync(ready)) return; // stopped or fenced: this activation is going away
                if (!await EnsureNodeRowIsOursAsync()) return; // RaftNodeGrain.Fence.cs
                SyncPeerLinks(ready.Messages); // RaftNodeGrain.Membership.cs: links follow the configuration
                Send(ready.Messages);
                if (ready.Snapshot is { } installed) OnSnapshotInstalled(installed, ready.LogDiscarded);
                Apply(ready.CommittedEntries);
                OnReadStates(ready.ReadStates);
                _core.Advance(ready);
                NoteCommitIndex();
                if (_core.SnapshotDue && !await TakeSnapshotAsync()) return;
                if (ready.SoftState is { } soft)
                    _logger.LogInformation("Raft node {Node} is {Role} in term {Term}, leader {Leader}",
                        NodeId, RoleName(soft.Role), _core.Term, soft.Leader ?? "unknown");
            }
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Raft node {Node} stopped on an unexpected error", NodeId);
            Stop($"failed: {e.Message}");
            DeactivateOnIdle();
        }
        finally
        {
            _processing = false;
        }
    }

    private void FeedQueuedInput()
    {
        while (_inbox.TryDequeue(out var inbound))
        {
            if (inbound.Message is not { } message)
            {
                _queuedTicks--;
                _core.Tick();
                continue;
            }
            _core.Step(message);
            NoteStepped(inbound);
            if (message is AppendEntries && _core.Leader == message.From && _core.Term == message.Term)
                _lastLeaderContactTimestamp = Stopwatch.GetTimestamp();
        }
        while (_proposals.TryDequeue(out var proposal))
        {
            if (proposal.Completion.Task.IsCompleted) continue; // its proposer gave up waiting
            // The leader's wall clock goes into the command here, once, so every replica applies the same
            // time (replicas never read their own clock when applying).
            var command = _core.Role == Role.Leader
                ? _stateMachine.StampForProposal(proposal.Command, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
                : proposal.Command;
            var result = _core.Propose(command);
            switch (result.Outcome)
            {
                case ProposeOutcome.Accepted:
                    _metrics.RecordSince(WriteStages.ProposeWait, proposal.ArrivedAt);
                    proposal.Index = result.Index;
                    proposal.Term = result.Term;
                    // Our log was cut back below an earlier proposal's index: that one is gone for good.
                    if (_awaitingApply.Remove(result.Index, out var displaced)) displaced.Complete(ProposeStatus.LeadershipLost);
                    _awaitingApply[result.Index] = proposal;
                    break;
                case ProposeOutcome.NotLeader:
                    proposal.Complete(ProposeStatus.NotLeader, leaderHint: result.LeaderHint);
                    break;
                default:
                    proposal.Complete(ProposeStatus.Busy, leaderHint: result.LeaderHint);
                    break;
            }
        }
        NoteCommitIndex();
        RequestReadIndexes();
        FeedMembershipRequests(); // RaftNodeGrain.Membership.cs
    }

    /// <summary>Makes the Ready's snapshot, hard state and entries durable (one node-row write, after the
    /// snapshot's chunk rows and any filled segment), retrying until the database takes them: until then no
    /// vote or acknowledgement leaves (they are in the same Ready, sent after). Returns false when this
    /// activation must stop instead (fenced by a newer one, or deactivating).</summary>
    /// <remarks>A Ready whose only change is a higher commit index is not written on its own: nothing sent
    /// or applied depends on the commit index being durable (the paper keeps it volatile; etcd writes it
    /// without a sync), and writing it would cost a second storage write per batch, on the leader between
    /// the followers' acknowledgements and the client's answer. It rides along with the next write; a node
    /// restarted before that comes back with a lower commit index and learns the rest from the leader.</remarks>
    private Task<bool> PersistAsync(Ready ready)
    {
        if (!ready.MustPersist) return Task.FromResult(true);
        if (ready is { Entries.Count: 0, Snapshot: null, LogDiscarded: false, HardState: { } onlyCommit }
            && onlyCommit.Term == _writtenHardState.Term && onlyCommit.VotedFor == _writtenHardState.VotedFor)
        {
            _unwrittenCommit = onlyCommit;
            return Task.FromResult(true);
        }
        var hardState = ready.HardState ?? _unwrittenCommit;
        _unwrittenCommit = null;
        return WriteReadyAsync(hardState, ready);
    }

    private async Task<bool> WriteReadyAsync(HardState? hardState, Ready ready)
    {
        var called = Stopwatch.GetTimestamp();
        long started = 0, finished = 0;
        if (!await WriteDurablyAsync(async () =>
            {
                started = Stopwatch.GetTimestamp();
                await _store.PersistAsync(hardState, ready.Entries, _core.EntryAt, ready.Snapshot, ready.LogDiscarded);
                finished = Stopwatch.GetTimestamp();
            }))
            return false;
        if (hardState is { } written) _writtenHardState = written;
        _metrics.RecordSince(WriteStages.WriteTotal, called);
        _metrics.RecordBetween(WriteStages.WriteQueue, called, started);
        _metrics.RecordBetween(WriteStages.WriteStorage, started, finished);
        _metrics.RecordSince(WriteStages.WriteResume, finished);
        _metrics.Record(WriteStages.WriteEntries, ready.Entries.Count);
        _metrics.Record(WriteStages.WriteRows, _store.LastPersistWrites);
        return true;
    }

    /// <summary>Runs <paramref name="write"/> until the database takes it. Returns false when this
    /// activation must stop instead (fenced by a newer one, deactivating, or a storage error that no retry
    /// can heal).</summary>
    private async Task<bool> WriteDurablyAsync(Func<Task> write)
    {
        var backoffMs = 10;
        while (true)
        {
            if (Stopped) return false;
            try
            {
                // Off the activation's thread: Microsoft.Data.Sqlite does its I/O synchronously, so an
                // fsync awaited here would block the grain (no ticks, deliveries or proposals could
                // queue meanwhile: no group commit) and a silo scheduler thread. Safe because the core
                // is not mutated until the write returns, and only this loop uses the store.
                await RunStorageOperationAsync(write); // Task.Run, and it renews the node-row lease (RaftNodeGrain.Fence.cs)
                if (_storageFailures > 0)
                    _logger.LogWarning("Raft node {Node}: storage is back after {Failures} failed writes", NodeId, _storageFailures);
                _storageFailures = 0;
                return true;
            }
            catch (InconsistentStateException e)
            {
                // Another activation of this node wrote the row since we read it: it owns the node now.
                _logger.LogWarning("Raft node {Node} on silo {Silo} is fenced by a newer writer and stops: {Error}",
                    NodeId, _silo.Name, e.Message);
                Stop("fenced by a newer activation");
                DeactivateOnIdle();
                return false;
            }
            catch (Exception e) when (StorageErrors.WhyRetryCannotHeal(e) is { } why)
            {
                _logger.LogError(
                    "Raft node {Node} on silo {Silo} stops for good: storage row {Row} failed with an error no retry can heal ({Why}); nothing more is sent or written until the silo restarts: {Error}",
                    NodeId, _silo.Name, _store.RowInUse, why, e.Message);
                // Not deactivated: a new activation would only meet the same error again.
                Stop($"storage row {_store.RowInUse} failed for good: {e.Message}");
                return false;
            }
            catch (Exception e)
            {
                _storageFailures++;
                if (_storageFailures == 1 || _storageFailures % 100 == 0)
                    _logger.LogWarning("Raft node {Node}: storage write failed ({Failures} in a row), retrying; nothing is sent meanwhile: {Error}",
                        NodeId, _storageFailures, e.Message);
                await Task.Delay(backoffMs);
                backoffMs = Math.Min(backoffMs * 2, 1000);
            }
        }
    }

    private void Send(IReadOnlyList<RaftMessage> messages)
    {
        foreach (var message in messages)
        {
            if (_peers.TryGetValue(message.To, out var peer))
            {
                peer.Enqueue(WireMapping.ToWire(message));
                NoteSent(message);
            }
            else _logger.LogWarning("Raft node {Node} has no link to {To}; message dropped", NodeId, message.To);
        }
    }

    private void Apply(IReadOnlyList<LogEntry> committed)
    {
        foreach (var entry in committed)
        {
            _appliedIndex = entry.Index;
            byte[]? result = null;
            if (entry.Kind == EntryKind.Command) result = _stateMachine.Apply(entry.Index, entry.Data);
            if (!_awaitingApply.Remove(entry.Index, out var proposal)) continue;
            _metrics.RecordSince(WriteStages.CommitWait, CommittedAt(entry.Index));
            if (proposal.Term == entry.Term && entry.Kind == EntryKind.Command)
                proposal.Complete(ProposeStatus.Applied, result);
            else
                proposal.Complete(ProposeStatus.LeadershipLost, leaderHint: _core.Leader);
        }
        CommittedAt(_appliedIndex + 1); // forgets the commits seen up to what is applied now
    }
}
