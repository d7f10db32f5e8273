using RaftOrleans.Contracts;
using RaftOrleans.Raft;
using RaftOrleans.Raft.Messages;

namespace RaftOrleans.Grains.Wire;

/// <summary>Translates between the core's messages and their wire records, field for field. The core
/// stays free of Orleans; only this adaptor knows both.</summary>
internal static class WireMapping
{
    public static WireMessage ToWire(RaftMessage message) => message switch
    {
        RequestVote m => new WireRequestVote(m.From, m.To, m.Term, m.LastLogIndex, m.LastLogTerm, m.PreVote, m.Transfer),
        RequestVoteResponse m => new WireRequestVoteResponse(m.From, m.To, m.Term, m.PreVote, m.Granted),
        AppendEntries m => new WireAppendEntries(m.From, m.To, m.Term, m.PrevLogIndex, m.PrevLogTerm,
            m.Entries.Select(ToWire).ToArray(), m.LeaderCommit, m.ReadContext),
        AppendEntriesResponse m => new WireAppendEntriesResponse(m.From, m.To, m.Term, m.Success, m.MatchIndex,
            m.RejectedIndex, m.ConflictTerm, m.ConflictIndex, m.ReadContext),
        TimeoutNow m => new WireTimeoutNow(m.From, m.To, m.Term),
        InstallSnapshot m => new WireInstallSnapshot(m.From, m.To, m.Term, m.SnapshotIndex, m.SnapshotTerm,
            new WireClusterConfig(m.Config.Voters.ToArray(), m.Config.Learners.ToArray()), m.Offset, m.Chunk, m.Done),
        InstallSnapshotResponse m => new WireInstallSnapshotResponse(m.From, m.To, m.Term, m.SnapshotIndex, m.NextOffset, m.Installed),
        ReadIndexRequest m => new WireReadIndexRequest(m.From, m.To, m.Term, m.RequestId),
        ReadIndexResponse m => new WireReadIndexResponse(m.From, m.To, m.Term, m.RequestId, m.Index, m.Failed),
        _ => throw new ArgumentException($"no wire form for {message.GetType().Name}", nameof(message)),
    };

    public static RaftMessage ToCore(WireMessage message) => message switch
    {
        WireRequestVote m => new RequestVote(m.From, m.To, m.Term, m.LastLogIndex, m.LastLogTerm, m.PreVote, m.Transfer),
        WireRequestVoteResponse m => new RequestVoteResponse(m.From, m.To, m.Term, m.PreVote, m.Granted),
        WireAppendEntries m => new AppendEntries(m.From, m.To, m.Term, m.PrevLogIndex, m.PrevLogTerm,
            (m.Entries ?? throw new ArgumentException("AppendEntries without an entry list")).Select(ToCore).ToArray(),
            m.LeaderCommit, m.ReadContext),
        WireAppendEntriesResponse m => new AppendEntriesResponse(m.From, m.To, m.Term, m.Success, m.MatchIndex,
            m.RejectedIndex, m.ConflictTerm, m.ConflictIndex, m.ReadContext),
        WireTimeoutNow m => new TimeoutNow(m.From, m.To, m.Term),
        WireInstallSnapshot m => new InstallSnapshot(m.From, m.To, m.Term, m.SnapshotIndex, m.SnapshotTerm,
            ToCore(m.Config ?? throw new ArgumentException("InstallSnapshot without a configuration")), m.Offset,
            m.Chunk ?? Array.Empty<byte>(), m.Done),
        WireInstallSnapshotResponse m => new InstallSnapshotResponse(m.From, m.To, m.Term, m.SnapshotIndex, m.NextOffset, m.Installed),
        WireReadIndexRequest m => new ReadIndexRequest(m.From, m.To, m.Term, m.RequestId),
        WireReadIndexResponse m => new ReadIndexResponse(m.From, m.To, m.Term, m.RequestId, m.Index, m.Failed),
        _ => throw new ArgumentException($"unknown wire message {message.GetType().Name}", nameof(message)),
    };

    private static ClusterConfig ToCore(WireClusterConfig config) =>
        new(config.Voters ?? throw new ArgumentException("configuration without voters"), config.Learners ?? []);

    public static WireEntry ToWire(LogEntry entry) => new(entry.Index, entry.Term, (byte)entry.Kind, entry.Data);

    public static LogEntry ToCore(WireEntry entry)
    {
        if (!Enum.IsDefined(typeof(EntryKind), entry.Kind))
            throw new ArgumentException($"entry {entry.Index} has unknown kind {entry.Kind}");
        return new LogEntry(entry.Index, entry.Term, (EntryKind)entry.Kind, entry.Data ?? Array.Empty<byte>());
    }
}
