using RaftOrleans.KeyValue.Encoding;
using RaftOrleans.Raft.StateMachine;

namespace RaftOrleans.KeyValue.Raft;

/// <summary>
/// Plugs the replicated key-value store (<see cref="KvStateMachine"/>) into a Raft node: commands are
/// <see cref="KvCommandCodec"/> bytes, queries are <see cref="KvCommandCodec.EncodeOperation"/> bytes of
/// a get or list, and every answer is <see cref="KvResultCodec"/> bytes. The store needs only the core's
/// state machine interface, so it stays free of Orleans and of the node grain.
/// </summary>
public sealed class KvNodeStateMachine(KvOptions? options = null) : IRaftStateMachine
{
    private KvStateMachine _store = new(options);

    /// <summary>The store, for tests and diagnostics on the node's own scheduler.</summary>
    public KvStateMachine Store => _store;

    /// <summary>The store's clock follows the largest leader time it applied (clamped per entry), so session
    /// expiry is decided the same on every replica.</summary>
    public byte[] Apply(long index, long leaderTimeMs, ReadOnlyMemory<byte> command) =>
        KvResultCodec.Encode(_store.Apply(index, leaderTimeMs, command));

    public byte[] Query(byte[] query)
    {
        KvOperation operation;
        try
        {
            operation = KvCommandCodec.DecodeOperation(query);
        }
        catch (KvFormatException e)
        {
            return KvResultCodec.Encode(KvResult.Error(KvStatus.InvalidCommand, _store.Revision, e.Message));
        }
        if (!operation.IsReadOnly)
        {
            return KvResultCodec.Encode(KvResult.Error(KvStatus.InvalidCommand, _store.Revision,
                $"{operation.GetType().Name} changes the store: propose it as a command, Read only answers get and list"));
        }
        return KvResultCodec.Encode(_store.Query(operation));
    }

    /// <summary>Keys, revisions, the clock and the client sessions (<see cref="KvStateMachine.TakeSnapshot"/>):
    /// a replica restored without its sessions would apply a retried command twice.</summary>
    public byte[] TakeSnapshot() => _store.TakeSnapshot();

    public void RestoreSnapshot(byte[] snapshot) => _store = KvStateMachine.Restore(snapshot, _store.Options);
}

/// <summary>Gives every node activation a fresh, empty key-value store; the node restores it from its
/// snapshot and replays the log after it.</summary>
public sealed class KvNodeStateMachineFactory(KvOptions? options = null) : IRaftStateMachineFactory
{
    public IRaftStateMachine Create(string nodeId) => new KvNodeStateMachine(options);
}
