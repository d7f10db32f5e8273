using RaftOrleans.Raft.Messages;

namespace RaftOrleans.Raft;

/// <summary>
/// Everything the node needs its host to do, gathered since the last <see cref="RaftNode.Advance"/>.
/// <para>The host must process a Ready in this order (the loop contract):</para>
/// <list type="number">
/// <item><b>Persist</b> <see cref="Snapshot"/> (if not null), <see cref="HardState"/> (if not null) and
/// <see cref="Entries"/> durably, in one write. A snapshot replaces the stored log up to its index (and the
/// whole stored log when <see cref="LogDiscarded"/>). <see cref="Entries"/> replace every stored entry at or after <c>Entries[0].Index</c> (a follower
/// truncating a conflicting suffix, §5.3). Nothing below may happen until this write is durable: a vote
/// grant or an append acknowledgement in <see cref="Messages"/> promises that state.</item>
/// <item><b>Send</b> <see cref="Messages"/>. Sending is best effort: Raft tolerates loss, duplication and
/// reordering, so a failed send is dropped, never retried by the host.</item>
/// <item><b>Apply</b>: first restore the state machine from <see cref="Snapshot"/> if there is one, then
/// apply <see cref="CommittedEntries"/> in order, each exactly once. Serve each of <see cref="ReadStates"/>
/// once the state machine has applied its index.</item>
/// <item>Call <see cref="RaftNode.Advance"/> with this Ready.</item>
/// </list>
/// <para>One Ready is in flight at a time: the host must not call Tick, Step or Propose between
/// <see cref="RaftNode.GetReady"/> and <see cref="RaftNode.Advance"/>; it queues them and feeds them in
/// afterwards, so that many proposals and messages fold into the next Ready (group commit: one storage
/// write per Ready, not per command).</para>
/// </summary>
public sealed class Ready
{
    internal Ready(HardState? hardState, Snapshot? snapshot, bool logDiscarded, IReadOnlyList<LogEntry> entries,
        IReadOnlyList<RaftMessage> messages, IReadOnlyList<LogEntry> committedEntries, IReadOnlyList<ReadState> readStates,
        SoftState? softState)
    {
        HardState = hardState;
        Snapshot = snapshot;
        LogDiscarded = logDiscarded;
        ReadStates = readStates;
        Entries = entries;
        Messages = messages;
        CommittedEntries = committedEntries;
        SoftState = softState;
    }

    /// <summary>Term, vote and commit to persist; null when unchanged since the last Ready.</summary>
    public HardState? HardState { get; }

    /// <summary>A snapshot received from the leader: persist it, then restore the state machine from it.</summary>
    public Snapshot? Snapshot { get; }

    /// <summary>With <see cref="Snapshot"/>: our log did not contain the snapshot's last entry, so every
    /// stored entry must go (Figure 13, rule 7); otherwise only those up to the snapshot's index.</summary>
    public bool LogDiscarded { get; }

    /// <summary>Answers to read requests (§6.4).</summary>
    public IReadOnlyList<ReadState> ReadStates { get; }

    /// <summary>Log entries to persist, contiguous and ascending.</summary>
    public IReadOnlyList<LogEntry> Entries { get; }

    /// <summary>Messages to send once the persist is durable (the simple contract: all of them).</summary>
    public IReadOnlyList<RaftMessage> Messages { get; }

    /// <summary>With asynchronous writes: the messages that promise nothing about this node's storage, which
    /// may leave before the write is durable: a leader's appends, heartbeats, snapshot chunks and TimeoutNow,
    /// pre-votes and their answers, read-index traffic.</summary>
    public IReadOnlyList<RaftMessage> ImmediateMessages => Messages.Where(m => !WaitsForWrite(m)).ToList();

    /// <summary>With asynchronous writes: the messages that promise durable state, sent only once this
    /// Ready's write (and every earlier one) is durable: vote requests and grants (term and vote), and
    /// answers to appends and snapshots (the entries they acknowledge).</summary>
    public IReadOnlyList<RaftMessage> MessagesAfterWrite => Messages.Where(WaitsForWrite).ToList();

    private static bool WaitsForWrite(RaftMessage message) => message switch
    {
        RequestVote vote => !vote.PreVote,
        RequestVoteResponse answer => !answer.PreVote,
        AppendEntriesResponse or InstallSnapshotResponse => true,
        _ => false,
    };

    /// <summary>Entries known committed, to apply in order.</summary>
    public IReadOnlyList<LogEntry> CommittedEntries { get; }

    /// <summary>Role and leader, when they changed since the last Ready; for display only.</summary>
    public SoftState? SoftState { get; }

    public bool MustPersist => HardState is not null || Entries.Count > 0 || Snapshot is not null;
}
