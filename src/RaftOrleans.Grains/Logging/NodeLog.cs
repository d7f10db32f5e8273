using Microsoft.Extensions.Logging;

namespace RaftOrleans.Grains.Logging;

/// <summary>The node grain's log lines, source-generated, each with its own event id: 1000-1099 the node grain,
/// 1100-1199 its outboxes, 1200-1299 the activator, network faults and the observer. An id names a kind of
/// event for filters and the JSON console format; the text is the same as the message.</summary>
internal static partial class NodeLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information,
        Message = "Raft node {Node} activated on silo {Silo}: term {Term}, voted for {Vote}, commit {Commit}, snapshot at {Snapshot}, {Entries} log entries after it, random seed {Seed}")]
    internal static partial void Activated(this ILogger logger, string node, string silo, long term, string vote, long commit, long snapshot, int entries, int seed);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Raft node {Node} is {Role} in term {Term}, leader {Leader}")]
    internal static partial void RoleChanged(this ILogger logger, string node, string role, long term, string leader);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Raft node {Node} on silo {Silo} stops acting: {Reason}")]
    internal static partial void Stops(this ILogger logger, string node, string silo, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Error, Message = "Raft node {Node} stopped on an unexpected error in its {Where}")]
    internal static partial void UnexpectedError(this ILogger logger, Exception error, string node, string where);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Warning, Message = "Node {Node} dropped a message addressed to {To}")]
    internal static partial void MisaddressedMessage(this ILogger logger, string node, string? to);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning,
        Message = "Raft node {Node}: inbox full ({Max} queued while storage is slow), dropping deliveries ({Dropped} so far)")]
    internal static partial void InboxFull(this ILogger logger, string node, int max, long dropped);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Node {Node} dropped a malformed message from {From}: {Error}")]
    internal static partial void MalformedMessage(this ILogger logger, string node, string from, string error);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Warning, Message = "Raft node {Node} has no link to {To}; message dropped")]
    internal static partial void NoLink(this ILogger logger, string node, string to);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Raft node {Node}: storage is back after {Failures} failed writes")]
    internal static partial void StorageBack(this ILogger logger, string node, int failures);

    [LoggerMessage(EventId = 1021, Level = LogLevel.Warning, Message = "Raft node {Node} on silo {Silo} is fenced by a newer writer and stops: {Error}")]
    internal static partial void FencedOnWrite(this ILogger logger, string node, string silo, string error);

    [LoggerMessage(EventId = 1022, Level = LogLevel.Error,
        Message = "Raft node {Node} on silo {Silo} stops for good: storage row {Row} failed with an error no retry can heal ({Why}); nothing more is sent or written until the silo restarts: {Error}")]
    internal static partial void StorageFailedForGood(this ILogger logger, string node, string silo, string? row, string why, string error);

    [LoggerMessage(EventId = 1023, Level = LogLevel.Warning,
        Message = "Raft node {Node}: storage write failed ({Failures} in a row), retrying; nothing is sent meanwhile: {Error}")]
    internal static partial void StorageWriteFailed(this ILogger logger, string node, int failures, string error);

    [LoggerMessage(EventId = 1030, Level = LogLevel.Warning,
        Message = "Raft node {Node}: sweeping rows of unfinished writes failed; the next activation retries: {Error}")]
    internal static partial void SweepFailed(this ILogger logger, string node, string error);

    [LoggerMessage(EventId = 1031, Level = LogLevel.Warning,
        Message = "Raft node {Node} on silo {Silo} is fenced: another activation wrote its row (version {Found}, ours {Expected}); it stops")]
    internal static partial void FencedOnRead(this ILogger logger, string node, string silo, string found, string expected);

    [LoggerMessage(EventId = 1032, Level = LogLevel.Debug, Message = "Raft node {Node}: reading its row's version failed: {Error}")]
    internal static partial void VersionReadFailed(this ILogger logger, string node, string error);

    [LoggerMessage(EventId = 1040, Level = LogLevel.Information,
        Message = "Raft node {Node} took a snapshot at index {Index} ({Bytes} bytes); its log now starts at {First}")]
    internal static partial void SnapshotTaken(this ILogger logger, string node, long index, int bytes, long first);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Information,
        Message = "Raft node {Node} installed a snapshot from {Leader} at index {Index} ({Bytes} bytes){Discarded}")]
    internal static partial void SnapshotInstalled(this ILogger logger, string node, string leader, long index, int bytes, string discarded);

    [LoggerMessage(EventId = 1042, Level = LogLevel.Warning,
        Message = "Raft node {Node}: deleting {Rows} compacted rows failed; the next activation retries: {Error}")]
    internal static partial void CompactedRowsDeleteFailed(this ILogger logger, string node, int rows, string error);

    [LoggerMessage(EventId = 1050, Level = LogLevel.Information, Message = "Raft node {Node} proposed {Change} at index {Index}: {Config}")]
    internal static partial void MembershipProposed(this ILogger logger, string node, object change, long index, object config);

    [LoggerMessage(EventId = 1051, Level = LogLevel.Information, Message = "Raft node {Node} dropped its link to {Peer}, no longer a member ({Config})")]
    internal static partial void LinkDropped(this ILogger logger, string node, string peer, object config);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Warning, Message = "Outbox to {Peer} is full ({Max} messages): dropping the oldest ({Dropped} so far)")]
    internal static partial void OutboxFull(this ILogger logger, string peer, int max, long dropped);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Delivery of {Count} messages to {Peer} failed, dropped: {Error}")]
    internal static partial void DeliveryFailed(this ILogger logger, int count, string peer, string error);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Raft node {Node} is active again")]
    internal static partial void ActiveAgain(this ILogger logger, string node);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Raft node {Node} could not be activated, retrying: {Error}")]
    internal static partial void ActivationFailed(this ILogger logger, string node, string error);

    [LoggerMessage(EventId = 1210, Level = LogLevel.Debug, Message = "Delivery {From} -> {To} timed out while held for an injected delay of {Delay}")]
    internal static partial void DelayedDeliveryTimedOut(this ILogger logger, string from, string to, TimeSpan delay);

    [LoggerMessage(EventId = 1211, Level = LogLevel.Information, Message = "Network faults v{Version} from a peer: {Faults}")]
    internal static partial void FaultsFromPeer(this ILogger logger, long version, string faults);

    [LoggerMessage(EventId = 1212, Level = LogLevel.Debug, Message = "Could not read the network faults of {Peer}: {Error}")]
    internal static partial void PeerFaultsUnreadable(this ILogger logger, string peer, string error);

    [LoggerMessage(EventId = 1220, Level = LogLevel.Debug, Message = "Node observer: status of {Node} unavailable: {Error}")]
    internal static partial void StatusUnavailable(this ILogger logger, string node, string error);
}
