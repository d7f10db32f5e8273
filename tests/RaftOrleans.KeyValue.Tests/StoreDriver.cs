using RaftOrleans.KeyValue.Encoding;

namespace RaftOrleans.KeyValue.Tests;

/// <summary>Feeds commands to a state machine the way the host does: encoded, at increasing log
/// indexes, stamped with an advancing leader clock.</summary>
internal sealed class StoreDriver(KvStateMachine machine)
{
    public StoreDriver(KvOptions? options = null) : this(new KvStateMachine(options)) { }

    public KvStateMachine Machine { get; } = machine;

    public long NowMs { get; set; } = 1_000;

    public KvResult Apply(KvCommand command) =>
        Machine.Apply(Machine.AppliedIndex + 1, NowMs, KvCommandCodec.Encode(command));

    public KvResult Apply(KvOperation operation) => Apply(KvCommand.Unsessioned(operation));

    public KvResult Put(string key, string value) => Apply(new PutOperation(key, value));

    public KvResult Get(string key) => Apply(new GetOperation(key));

    /// <summary>Moves the leader clock on by <paramref name="ms"/> through entries (reads) no further apart
    /// than the clock step limit, as a busy cluster's are, so the state machine's clock keeps up.</summary>
    public void PassTime(long ms)
    {
        var target = NowMs + ms;
        while (NowMs < target)
        {
            NowMs = Math.Min(target, NowMs + Machine.Options.ClockStepLimitMs);
            Get("clock-tick");
        }
    }
}
