using System.Diagnostics;
using RaftOrleans.Grains.Metrics;
using RaftOrleans.Raft.Messages;

namespace RaftOrleans.Grains.Node;

/// <summary>Something for the loop: a message (null: a tick) and the Stopwatch timestamp it arrived at.</summary>
internal readonly record struct Inbound(RaftMessage? Message, long ArrivedAt);

// The bookkeeping behind the write-stage breakdown (WriteStages): timestamps the loop notes as a write
// passes, turned into samples of _metrics. Only reads the core; costs a few Stopwatch reads per Ready.
public sealed partial class RaftNodeGrain
{
    /// <summary>Most AppendEntries per peer whose acknowledgement is still awaited for the round-trip figure;
    /// older ones are forgotten (lost messages must not grow it).</summary>
    private const int MaxTrackedAppends = 64;

    /// <summary>Per peer: AppendEntries with entries sent and not yet acknowledged, (last index, sent at).</summary>
    private readonly Dictionary<string, Queue<(long LastIndex, long SentAt)>> _appendsInFlight = new(StringComparer.Ordinal);

    /// <summary>Commit indexes in the order the core reached them, with when: an entry's commit time is
    /// that of the first one at or above its index.</summary>
    private readonly Queue<(long Index, long At)> _commitsSeen = new();
    private long _commitNoted;

    /// <summary>Arrival of the oldest AppendEntries with entries stepped since the last acknowledgement left.</summary>
    private long _unansweredAppendArrivedAt;

    private void NoteStepped(Inbound inbound)
    {
        switch (inbound.Message)
        {
            case AppendEntries { Entries.Count: > 0 }:
                _metrics.RecordSince(WriteStages.AppendWait, inbound.ArrivedAt);
                if (_unansweredAppendArrivedAt == 0) _unansweredAppendArrivedAt = inbound.ArrivedAt;
                break;
            case AppendEntriesResponse { Success: true }:
                _metrics.RecordSince(WriteStages.AckWait, inbound.ArrivedAt);
                break;
        }
        NoteCommitIndex();
    }

    private void NoteCommitIndex()
    {
        var commit = _core.CommitIndex;
        if (commit <= _commitNoted) return;
        _commitNoted = commit;
        _commitsSeen.Enqueue((commit, Stopwatch.GetTimestamp()));
    }

    /// <summary>When the core's commit index first covered <paramref name="index"/> (0: not seen).</summary>
    private long CommittedAt(long index)
    {
        while (_commitsSeen.TryPeek(out var seen) && seen.Index < index) _commitsSeen.Dequeue();
        return _commitsSeen.TryPeek(out var covering) ? covering.At : 0;
    }

    private void NoteSent(RaftMessage message)
    {
        switch (message)
        {
            case AppendEntries { Entries.Count: > 0 } append:
                if (!_appendsInFlight.TryGetValue(append.To, out var inFlight))
                    _appendsInFlight[append.To] = inFlight = new Queue<(long, long)>();
                if (inFlight.Count >= MaxTrackedAppends) inFlight.Dequeue();
                inFlight.Enqueue((append.LastIndex, Stopwatch.GetTimestamp()));
                break;
            case AppendEntriesResponse when _unansweredAppendArrivedAt != 0:
                _metrics.RecordSince(WriteStages.AppendTurnaround, _unansweredAppendArrivedAt);
                _unansweredAppendArrivedAt = 0;
                break;
        }
    }

    /// <summary>At arrival, before the inbox: the round trip of every append this acknowledgement covers.</summary>
    private void OnAcknowledgementArrived(AppendEntriesResponse ack)
    {
        if (!_appendsInFlight.TryGetValue(ack.From, out var inFlight)) return;
        while (inFlight.TryPeek(out var sent) && sent.LastIndex <= ack.MatchIndex)
        {
            inFlight.Dequeue();
            _metrics.RecordSince(WriteStages.AppendRoundTrip, sent.SentAt, ack.From);
        }
    }
}
