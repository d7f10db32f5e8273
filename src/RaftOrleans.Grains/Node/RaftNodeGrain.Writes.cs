using System.Diagnostics;
using RaftOrleans.Grains.Metrics;
using RaftOrleans.Raft;

namespace RaftOrleans.Grains.Node;

// The writer: makes the loop's Readys durable, in order, one storage write at a time, while the loop goes
// on stepping the core (RaftNodeGrain.Loop.cs). Every Ready the loop takes passes through here, written
// or not, because the core must hear of each in order (WriteDurable) before the messages that promise it
// durable (MessagesAfterWrite: acknowledgements, votes) may leave. The Readys that queued while a write
// was in flight go out together in the next one: their hard state is the last one, their entries the
// concatenation (a later Ready that starts lower replaces what it overlaps, as a follower's truncation
// does). A Ready carrying a snapshot is written on its own.
// Runs on the grain's scheduler like the loop; only the store's work runs on a pool thread, and it reads
// nothing of the core's (the entries it may rewrite below a truncation were copied when the Ready was
// taken), so the loop may mutate the core meanwhile.
public sealed partial class RaftNodeGrain
{
    private readonly Queue<(Ready Ready, IReadOnlyDictionary<long, LogEntry> Held)> _toWrite = new();
    private Task _writer = Task.CompletedTask;
    private bool _writerRunning;

    /// <summary>A hard state that differs from the written one only by a higher commit index: written with
    /// the next write (see <see cref="WriteBatchAsync"/>).</summary>
    private HardState? _unwrittenCommit;

    private static readonly IReadOnlyDictionary<long, LogEntry> NoHeldEntries = new Dictionary<long, LogEntry>();

    /// <summary>Copies, while the core still matches <paramref name="ready"/>, the entries the store may have
    /// to rewrite below its first entry: when a truncation reaches into a sealed segment, the segment is
    /// rewritten from its start (fewer than a segment's worth of entries before the truncation point).</summary>
    private IReadOnlyDictionary<long, LogEntry> HeldEntriesBelow(Ready ready)
    {
        if (ready.Entries.Count == 0) return NoHeldEntries;
        var first = ready.Entries[0].Index;
        var held = new Dictionary<long, LogEntry>();
        for (var index = Math.Max(_core.FirstLogIndex, first - _settings.LogSegmentEntries); index < first; index++)
            held[index] = _core.EntryAt(index);
        return held;
    }

    /// <summary>Hands a Ready the loop has advanced past to the writer. One with nothing to write, while no
    /// write is in flight or queued, is durable at once.</summary>
    private void QueueWrite(Ready ready, IReadOnlyDictionary<long, LogEntry> held)
    {
        if (!_writerRunning && _toWrite.Count == 0 && !MustWrite(ready.HardState, ready.Entries.Count, ready.Snapshot, ready.LogDiscarded))
        {
            RememberUnwrittenCommit(ready.HardState);
            ConfirmDurable(ready);
            return;
        }
        _toWrite.Enqueue((ready, held));
        if (_writerRunning) return;
        _writerRunning = true;
        _writer = WriteQueuedAsync();
    }

    /// <summary>Waits until every Ready handed to the writer is durable. False when the activation stops.</summary>
    private async Task<bool> WritesDrainedAsync()
    {
        while (_writerRunning && !Stopped) await _writer;
        return !Stopped;
    }

    private async Task WriteQueuedAsync()
    {
        try
        {
            while (_toWrite.Count > 0 && !Stopped)
            {
                var batch = TakeBatch();
                if (!await WriteBatchAsync(batch)) return; // stopped or fenced: this activation is going away
                foreach (var (ready, _) in batch) ConfirmDurable(ready);
                Kick(); // the leader may commit now, a follower apply
            }
        }
        catch (Exception e)
        {
            StopOnUnexpectedError(e, "writer");
        }
        finally
        {
            _writerRunning = false;
        }
    }

    /// <summary>Every queued Ready up to (excluding) one that carries a snapshot; that one alone.</summary>
    private List<(Ready Ready, IReadOnlyDictionary<long, LogEntry> Held)> TakeBatch()
    {
        var batch = new List<(Ready, IReadOnlyDictionary<long, LogEntry>)> { _toWrite.Dequeue() };
        if (CarriesSnapshot(batch[0].Item1)) return batch;
        while (_toWrite.TryPeek(out var next) && !CarriesSnapshot(next.Ready)) batch.Add(_toWrite.Dequeue());
        return batch;
    }

    private static bool CarriesSnapshot(Ready ready) => ready.Snapshot is not null || ready.LogDiscarded;

    /// <summary>The batch's core confirmation and what it promised: in order, oldest first.</summary>
    private void ConfirmDurable(Ready ready)
    {
        _core.WriteDurable(ready);
        Send(ready.MessagesAfterWrite);
        NoteCommitIndex();
    }

    private bool MustWrite(HardState? hardState, int entries, Snapshot? snapshot, bool logDiscarded) =>
        entries > 0 || snapshot is not null || logDiscarded
        || hardState is { } hard && (hard.Term != _writtenHardState.Term || hard.VotedFor != _writtenHardState.VotedFor);

    /// <summary>A Ready whose only change is a higher commit index is not written on its own: nothing sent
    /// or applied depends on the commit index being durable (the paper keeps it volatile; etcd writes it
    /// without a sync), and writing it would cost a second storage write per batch. It rides along with the
    /// next write; a node restarted before that comes back with a lower commit index and learns the rest
    /// from the leader.</summary>
    private void RememberUnwrittenCommit(HardState? hardState)
    {
        if (hardState is { } onlyCommit) _unwrittenCommit = onlyCommit;
    }

    /// <summary>Makes the batch's snapshot, hard state and entries durable in one store write (chunk rows and
    /// filled segments first, then the node row), retrying until the database takes them.</summary>
    private async Task<bool> WriteBatchAsync(List<(Ready Ready, IReadOnlyDictionary<long, LogEntry> Held)> batch)
    {
        HardState? hardState = null;
        var entries = new List<LogEntry>();
        var held = NoHeldEntries;
        Snapshot? snapshot = null;
        var logDiscarded = false;
        foreach (var (ready, heldBelow) in batch)
        {
            hardState = ready.HardState ?? hardState;
            snapshot ??= ready.Snapshot;
            logDiscarded |= ready.LogDiscarded;
            if (ready.Entries.Count == 0) continue;
            var first = ready.Entries[0].Index;
            if (entries.Count == 0 || first <= entries[0].Index)
            {
                entries = ready.Entries.ToList();
                held = heldBelow;
                continue;
            }
            if (first > entries[^1].Index + 1)
                throw new InvalidOperationException($"Ready entries from {first} do not follow the batch's last entry {entries[^1].Index}");
            entries.RemoveRange((int)(first - entries[0].Index), (int)(entries[^1].Index - first + 1));
            entries.AddRange(ready.Entries);
        }
        if (!MustWrite(hardState, entries.Count, snapshot, logDiscarded))
        {
            RememberUnwrittenCommit(hardState);
            return true;
        }
        hardState ??= _unwrittenCommit;
        _unwrittenCommit = null;
        var called = Stopwatch.GetTimestamp();
        long started = 0, finished = 0;
        var heldEntries = held;
        if (!await WriteDurablyAsync(async () =>
            {
                started = Stopwatch.GetTimestamp();
                await _store.PersistAsync(hardState, entries, index => heldEntries.TryGetValue(index, out var entry) ? entry
                    : throw new InvalidOperationException($"the store asked for entry {index}, which the Ready did not hold"),
                    snapshot, logDiscarded);
                finished = Stopwatch.GetTimestamp();
            }))
            return false;
        if (hardState is { } written) _writtenHardState = written;
        _metrics.RecordSince(WriteStages.WriteTotal, called);
        _metrics.RecordBetween(WriteStages.WriteQueue, called, started);
        _metrics.RecordBetween(WriteStages.WriteStorage, started, finished);
        _metrics.RecordSince(WriteStages.WriteResume, finished);
        _metrics.Record(WriteStages.WriteEntries, entries.Count);
        _metrics.Record(WriteStages.WriteRows, _store.LastPersistWrites);
        return true;
    }
}
