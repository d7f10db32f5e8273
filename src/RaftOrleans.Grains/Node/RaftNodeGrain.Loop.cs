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
using RaftOrleans.Grains.Logging;

namespace RaftOrleans.Grains.Node;

// The processing loop: the only code that steps the core. It follows the core's asynchronous Ready
// contract (RaftOrleans.Raft/Ready.cs, RaftOptions.AsyncStorageWrites; dissertation §10.2.1): feed
// everything queued, GetReady, send what promises nothing about our storage (a leader's appends leave
// beside its own write), apply what is committed and locally durable, AdvanceWhileWriting, and hand
// the Ready to the writer (RaftNodeGrain.Writes.cs). The loop does not wait for the write: while one is
// in flight it keeps stepping acknowledgements, proposals and ticks, and the writer's next write takes
// every Ready that queued meanwhile (one storage write per batch; batches grow with load). What promises
// durable state (acknowledgements, votes) leaves only once the writer has made it durable.
public sealed partial class RaftNodeGrain
{
    private bool _processing;
    private int _storageFailures;

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
                // Before acting on a Ready: the node row must still be ours (RaftNodeGrain.Fence.cs). Usually
                // the lease is fresh; checking it otherwise is a storage call, made between writes.
                if (!NodeRowLeaseIsFresh)
                {
                    if (!await WritesDrainedAsync() || !await EnsureNodeRowIsOursAsync()) return;
                    continue;
                }
                // From GetReady to AdvanceWhileWriting nothing awaits, so nothing else reaches the core.
                var ready = _core.GetReady();
                var heldEntries = HeldEntriesBelow(ready);
                // RaftNodeGrain.Membership.cs: links follow the configuration, made now for the messages
                // that leave after the write too.
                SyncPeerLinks(ready.Messages);
                Send(ready.ImmediateMessages);
                if (ready.Snapshot is { } installed) OnSnapshotInstalled(installed, ready.LogDiscarded);
                Apply(ready.CommittedEntries);
                OnReadStates(ready.ReadStates);
                _core.AdvanceWhileWriting(ready);
                NoteCommitIndex();
                QueueWrite(ready, heldEntries);
                // A snapshot is taken and written between writes, with none in flight (the store is one
                // writer's), and covers only what is applied, so only what is durable here.
                if (_core.SnapshotDue && (!await WritesDrainedAsync() || !await TakeSnapshotAsync())) return;
                NoteElectionStarted(); // RaftNodeGrain.Counters.cs
                if (ready.SoftState is { } soft)
                    _logger.RoleChanged(NodeId, ReportedRole(soft.Role, _core.Config.IsLearner(NodeId)).Name(), _core.Term, soft.Leader ?? "unknown");
            }
        }
        catch (Exception e)
        {
            StopOnUnexpectedError(e, "loop");
        }
        finally
        {
            _processing = false;
        }
    }

    /// <summary>A bug, not a storage or network failure (those are handled where they happen): stop acting,
    /// say where, and let a new activation start from what is durable.</summary>
    private void StopOnUnexpectedError(Exception e, string where)
    {
        _logger.UnexpectedError(e, NodeId, where);
        Stop($"failed: {e.Message}");
        DeactivateOnIdle();
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
        // Proposals held for a leader go first: they arrived before anything queued now.
        foreach (var held in TakeProposalsNoLongerAwaitingLeader()) Offer(held);
        while (_proposals.TryDequeue(out var proposal)) Offer(proposal);
        NoteCommitIndex();
        RequestReadIndexes();
        FeedMembershipRequests(); // RaftNodeGrain.Membership.cs
    }

    /// <summary>Hands one client command to the core, or answers it.</summary>
    private void Offer(PendingProposal proposal)
    {
        if (proposal.Completion.Task.IsCompleted) return; // its proposer gave up waiting
        // The leader's wall clock goes into the entry here, once, beside the command, so every replica
        // applies the same time (replicas never read their own clock when applying).
        var command = CommandEnvelope.Wrap(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), proposal.Command);
        var result = _core.Propose(command);
        switch (result.Outcome)
        {
            case ProposeOutcome.Accepted:
                _proposalsAccepted++;
                _metrics.RecordSince(WriteStages.ProposeWait, proposal.ArrivedAt);
                proposal.Index = result.Index;
                proposal.Term = result.Term;
                // Our log was cut back below an earlier proposal's index: that one is gone for good.
                if (_awaitingApply.Remove(result.Index, out var displaced)) displaced.Complete(ClientReplyStatus.LeadershipLost);
                _awaitingApply[result.Index] = proposal;
                break;
            case ProposeOutcome.NotLeader when MayHoldForLeader(proposal):
                _proposalsAwaitingLeader.Add(proposal); // RaftNodeGrain.AwaitingLeader.cs
                break;
            case ProposeOutcome.NotLeader:
                _proposalsRefused++;
                proposal.Complete(ClientReplyStatus.NotLeader, leaderHint: result.LeaderHint);
                break;
            default:
                _proposalsRefused++;
                proposal.Complete(ClientReplyStatus.Busy, leaderHint: result.LeaderHint);
                break;
        }
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
                    _logger.StorageBack(NodeId, _storageFailures);
                _storageFailures = 0;
                return true;
            }
            catch (InconsistentStateException e)
            {
                // Another activation of this node wrote the row since we read it: it owns the node now.
                _logger.FencedOnWrite(NodeId, _silo.Name, e.Message);
                Stop("fenced by a newer activation");
                DeactivateOnIdle();
                return false;
            }
            catch (Exception e) when (StorageErrors.WhyRetryCannotHeal(e) is { } why)
            {
                _logger.StorageFailedForGood(NodeId, _silo.Name, _store.RowInUse, why, e.Message);
                // Not deactivated: a new activation would only meet the same error again.
                Stop($"storage row {_store.RowInUse} failed for good: {e.Message}");
                return false;
            }
            catch (Exception e)
            {
                _storageFailures++;
                if (_storageFailures == 1 || _storageFailures % 100 == 0)
                    _logger.StorageWriteFailed(NodeId, _storageFailures, e.Message);
                await Task.Delay(backoffMs);
                backoffMs = Math.Min(backoffMs * 2, 1000);
            }
        }
    }

    private void Send(IReadOnlyList<RaftMessage> messages)
    {
        if (messages.Count == 0) return;
        foreach (var message in messages)
        {
            if (_peers.TryGetValue(message.To, out var peer))
            {
                peer.Enqueue(WireMapping.ToWire(message));
                NoteSent(message);
            }
            else _logger.NoLink(NodeId, message.To);
        }
        // One batch per peer for the whole list: deliveries are one-way, so each call costs its own
        // messages and thread wake-ups on both silos whatever it carries.
        foreach (var peer in _peers.Values) peer.Flush();
    }

    private void Apply(IReadOnlyList<LogEntry> committed)
    {
        foreach (var entry in committed)
        {
            _appliedIndex = entry.Index;
            byte[]? result = null;
            if (entry.Kind == EntryKind.Command)
            {
                var (leaderTimeMs, command) = CommandEnvelope.Open(entry.Data);
                result = _stateMachine.Apply(entry.Index, leaderTimeMs, command);
            }
            if (!_awaitingApply.Remove(entry.Index, out var proposal)) continue;
            _metrics.RecordSince(WriteStages.CommitWait, CommittedAt(entry.Index));
            if (proposal.Term == entry.Term && entry.Kind == EntryKind.Command)
                proposal.Complete(ClientReplyStatus.Applied, result);
            else
                proposal.Complete(ClientReplyStatus.LeadershipLost, leaderHint: _core.Leader);
        }
        CommittedAt(_appliedIndex + 1); // forgets the commits seen up to what is applied now
    }
}
