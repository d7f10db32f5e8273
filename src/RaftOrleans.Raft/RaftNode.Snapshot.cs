using RaftOrleans.Raft.Messages;
using RaftOrleans.Raft.Tracker;

namespace RaftOrleans.Raft;

// Log compaction and InstallSnapshot (paper §7, Figure 13; dissertation chapter 5), sent in chunks.
public sealed partial class RaftNode
{
    /// <summary>The latest snapshot, taken here or received from a leader; sent to followers whose next
    /// entry was compacted away.</summary>
    private Snapshot? _snapshot;

    /// <summary>A snapshot installed from the leader, waiting to go out in the next Ready.</summary>
    private Snapshot? _receivedSnapshot;
    private bool _receivedSnapshotDiscardedLog;

    /// <summary>Chunks of a snapshot being received, with the leader term they came in.</summary>
    private IncomingSnapshot? _incoming;

    private long _appliedSinceSnapshot;
    private long _bytesSinceSnapshot;

    /// <summary>True when the host should take a snapshot (see the thresholds in <see cref="RaftOptions"/>).</summary>
    public bool SnapshotDue =>
        _log.Applied > (_snapshot?.Index ?? 0) &&
        (_appliedSinceSnapshot >= _options.SnapshotThresholdEntries || _bytesSinceSnapshot >= _options.SnapshotThresholdBytes);

    /// <summary>The latest snapshot this node holds, if any.</summary>
    public Snapshot? LatestSnapshot => _snapshot;

    /// <summary>
    /// Records that the state machine's state after applying everything up to <see cref="AppliedIndex"/>
    /// is <paramref name="stateMachineData"/>, and compacts the log behind it (keeping
    /// <see cref="RaftOptions.SnapshotTrailingEntries"/>). The host must persist the returned snapshot;
    /// after that it may delete stored entries before <see cref="FirstLogIndex"/>.
    /// </summary>
    public Snapshot CreateSnapshot(byte[] stateMachineData)
    {
        EnsureNoReadyInFlight(nameof(CreateSnapshot));
        var index = _log.Applied;
        if (_snapshot is not null && index <= _snapshot.Index)
            throw new InvalidOperationException($"a snapshot at {_snapshot.Index} already covers applied index {index}");
        var snapshot = new Snapshot(index, _log.TermAt(index)!.Value, ConfigAt(index), stateMachineData);
        _snapshot = snapshot;
        var compactTo = Math.Max(_log.FirstIndex - 1, index - _options.SnapshotTrailingEntries);
        _log.CompactTo(compactTo);
        ForgetConfigsBefore(compactTo);
        _appliedSinceSnapshot = 0;
        _bytesSinceSnapshot = 0;
        return snapshot;
    }

    private void StartSnapshotTransfer(string peer, Progress progress)
    {
        var snapshot = _snapshot
                       ?? throw new InvalidOperationException($"{Id}: entries {_log.FirstIndex - 1} and before were compacted without a snapshot");
        progress.BecomeSnapshot(snapshot.Index);
        SendSnapshotChunk(peer, progress);
    }

    private void SendSnapshotChunk(string peer, Progress progress)
    {
        var snapshot = _snapshot!;
        if (progress.SnapshotIndex != snapshot.Index) progress.BecomeSnapshot(snapshot.Index); // a newer one: start over
        progress.StalledHeartbeats = 0;
        var offset = (int)Math.Min(progress.SnapshotOffset, snapshot.Data.Length);
        var length = Math.Min(_options.MaxSnapshotChunkBytes, snapshot.Data.Length - offset);
        var chunk = snapshot.Data.AsSpan(offset, length).ToArray();
        Send(new InstallSnapshot(Id, peer, Term, snapshot.Index, snapshot.Term, snapshot.Config, offset, chunk,
            Done: offset + length == snapshot.Data.Length));
    }

    /// <summary>Figure 13, InstallSnapshot receiver implementation, with chunks assembled in order.</summary>
    private void HandleInstallSnapshot(InstallSnapshot message)
    {
        AcceptLeader(message.From);

        if (message.SnapshotIndex <= _log.Committed)
        {
            // We already hold (and committed) everything the snapshot covers.
            _incoming = null;
            Send(new InstallSnapshotResponse(Id, message.From, Term, message.SnapshotIndex, 0, Installed: true));
            return;
        }
        if (_incoming is null || _incoming.Index != message.SnapshotIndex || _incoming.LeaderTerm != Term)
        {
            // A new leader or a newer snapshot: whatever was received of another one is useless.
            _incoming = message.Offset == 0 ? new IncomingSnapshot(message.SnapshotIndex, Term) : null;
            if (_incoming is null)
            {
                Send(new InstallSnapshotResponse(Id, message.From, Term, message.SnapshotIndex, 0, Installed: false));
                return;
            }
        }
        if (message.Offset != _incoming.Data.Length)
        {
            // A lost or duplicated chunk: tell the leader where to resume.
            Send(new InstallSnapshotResponse(Id, message.From, Term, message.SnapshotIndex, _incoming.Data.Length, Installed: false));
            return;
        }
        _incoming.Data.Write(message.Chunk);
        if (!message.Done)
        {
            Send(new InstallSnapshotResponse(Id, message.From, Term, message.SnapshotIndex, _incoming.Data.Length, Installed: false));
            return;
        }
        var snapshot = new Snapshot(message.SnapshotIndex, message.SnapshotTerm, message.Config, _incoming.Data.ToArray());
        _incoming = null;
        InstallReceivedSnapshot(snapshot);
        Send(new InstallSnapshotResponse(Id, message.From, Term, snapshot.Index, snapshot.Data.Length, Installed: true));
    }

    private void InstallReceivedSnapshot(Snapshot snapshot)
    {
        var discarded = _log.RestoreSnapshot(snapshot.Index, snapshot.Term);
        _snapshot = snapshot;
        _receivedSnapshot = snapshot;
        _receivedSnapshotDiscardedLog |= discarded;
        ResetConfigsToSnapshot(snapshot);
        _appliedSinceSnapshot = 0;
        _bytesSinceSnapshot = 0;
    }

    private void HandleInstallSnapshotResponse(InstallSnapshotResponse response)
    {
        if (Role != Role.Leader || !_progress.TryGetValue(response.From, out var progress)) return;
        progress.RecentActive = true;
        if (response.Installed)
        {
            if (progress.State != ReplicationState.Snapshot && response.SnapshotIndex <= progress.Match) return;
            progress.SnapshotInstalled(response.SnapshotIndex);
            if (MaybeCommit()) _appendsPending = true;
            if (Role == Role.Leader) SendAppends(response.From);
            return;
        }
        if (progress.State != ReplicationState.Snapshot || response.SnapshotIndex != progress.SnapshotIndex) return;
        progress.SnapshotOffset = response.NextOffset;
        SendSnapshotChunk(response.From, progress);
    }

    private sealed class IncomingSnapshot(long index, long leaderTerm)
    {
        public long Index { get; } = index;
        public long LeaderTerm { get; } = leaderTerm;
        public MemoryStream Data { get; } = new();
    }
}
