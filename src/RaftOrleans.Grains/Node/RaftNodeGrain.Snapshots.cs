using Microsoft.Extensions.Logging;
using RaftOrleans.Contracts;
using RaftOrleans.Raft;
using RaftOrleans.Grains.Logging;

namespace RaftOrleans.Grains.Node;

// Log compaction (paper §7, dissertation chapter 5). When the core says a snapshot is due (entries or
// bytes since the last one, RaftOptions thresholds), the loop, between Readys, asks the state machine
// for its state, hands it to the core (which compacts its in-memory log, keeping trailing entries) and
// makes it durable in its own store write, with no other write in flight: chunk rows first, then the
// node row that names them and drops the covered entries. Only once that write is durable are the covered log segments and the
// previous snapshot's chunks deleted, off the loop. A snapshot received from a leader arrives in a
// Ready and is persisted with it (alone, RaftNodeGrain.Writes.cs) before its acknowledgement leaves.
public sealed partial class RaftNodeGrain
{
    /// <summary>Deletions of rows a snapshot made obsolete, one batch after another, off the loop.</summary>
    private Task _deletions = Task.CompletedTask;

    /// <summary>Takes a snapshot of the state machine at the applied index and makes it durable.
    /// Returns false when this activation must stop instead (fenced, or deactivating).</summary>
    private async Task<bool> TakeSnapshotAsync()
    {
        var snapshot = _core.CreateSnapshot(_stateMachine.TakeSnapshot());
        // Nothing reaches the core until this returns, so the snapshot is durable before any message
        // can offer it to a follower.
        if (!await WriteDurablyAsync(() => _store.PersistAsync(null, Array.Empty<LogEntry>(), _core.EntryAt, snapshot))) return false;
        _logger.SnapshotTaken(NodeId, snapshot.Index, snapshot.Data.Length, _core.FirstLogIndex);
        DeleteObsoleteRows();
        return true;
    }

    /// <summary>A snapshot from the leader replaces the state machine, and with it every entry up to its
    /// index, including any this node proposed and was waiting to apply. Its write may still be in flight:
    /// nothing that says it is durable (the InstallSnapshot answer) leaves before that write is done, and a
    /// crash before it only takes the node back to the state it had, which it never acknowledged beyond.</summary>
    private void OnSnapshotInstalled(Snapshot snapshot, bool logDiscarded)
    {
        RestoreStateMachine(snapshot);
        foreach (var index in _awaitingApply.Keys.Where(index => index <= snapshot.Index).ToList())
        {
            // The snapshot does not say which command ended up at that index: maybe ours, maybe not.
            _awaitingApply.Remove(index, out var proposal);
            proposal!.Complete(ClientReplyStatus.Unknown, leaderHint: _core.Leader);
        }
        _logger.SnapshotInstalled(NodeId, _core.Leader ?? "?", snapshot.Index, snapshot.Data.Length, logDiscarded ? ", discarding its log" : "");
        // Its write may still be in flight: the rows it makes obsolete are deleted once it is durable.
    }

    private void RestoreStateMachine(Snapshot snapshot)
    {
        _stateMachine.RestoreSnapshot(snapshot.Data);
        _appliedIndex = snapshot.Index;
    }

    /// <summary>Deletes, in the background, the rows the store no longer references. A failure only
    /// leaves rows behind: the next activation finds them again.</summary>
    private void DeleteObsoleteRows()
    {
        var rows = _store.TakeObsoleteRows();
        if (rows.Count == 0) return;
        var previous = _deletions;
        var store = _store;
        _deletions = Task.Run(async () =>
        {
            await previous;
            try
            {
                await store.DeleteRowsAsync(rows);
            }
            catch (Exception e)
            {
                _logger.CompactedRowsDeleteFailed(NodeId, rows.Count, e.Message);
            }
        });
    }
}
