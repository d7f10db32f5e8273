using RaftOrleans.KeyValue.Encoding;

namespace RaftOrleans.KeyValue.Tests;

public sealed class SnapshotTests
{
    [Fact]
    public void Restored_machine_has_the_same_state_sessions_and_revisions()
    {
        var original = new StoreDriver(new KvOptions { SessionIdleTimeoutMs = 60_000 });
        original.Apply(KvCommand.OpenSession("c1"));
        var put = KvCommand.InSession("c1", 1, 1, new PutOperation("k", "v1"));
        var firstAnswer = original.Apply(put);
        original.Put("other", "x");
        original.Apply(new DeleteOperation("other"));
        original.Put("k2", "y");

        var restored = new StoreDriver(KvStateMachine.Restore(original.Machine.TakeSnapshot(), original.Machine.Options))
        {
            NowMs = original.NowMs,
        };

        Assert.Equal(original.Machine.TakeSnapshot(), restored.Machine.TakeSnapshot());
        Assert.Equal(original.Machine.AppliedIndex, restored.Machine.AppliedIndex);
        Assert.Equal(4, restored.Machine.Revision);
        Assert.Equal(original.Machine.ClockMs, restored.Machine.ClockMs);
        Assert.Equal(firstAnswer, restored.Apply(put));
        Assert.Equal(4, restored.Machine.Revision);
        Assert.Equal(new KvEntry("k2", "y", 4, 4, 1), restored.Get("k2").Entry);
        Assert.Equal(5, restored.Put("k3", "z").Revision);
    }

    [Fact]
    public void Stores_fed_the_same_commands_take_identical_snapshots()
    {
        var options = new KvOptions { SessionIdleTimeoutMs = 500, MaxSessions = 8 };
        var commands = RandomCommands(seed: 42, count: 2_000);
        var a = new KvStateMachine(options);
        var b = new KvStateMachine(options);

        var answersA = commands.Select((command, i) => a.Apply(i + 1, command.LeaderTimeMs, command.Bytes)).ToList();
        var answersB = commands.Select((command, i) => b.Apply(i + 1, command.LeaderTimeMs, command.Bytes)).ToList();

        Assert.Equal(answersA, answersB);
        Assert.Equal(a.TakeSnapshot(), b.TakeSnapshot());
        Assert.True(a.Revision > 100, $"the random commands changed the store only {a.Revision} times");
    }

    [Fact]
    public void Restoring_midway_then_applying_the_rest_gives_the_same_state()
    {
        var options = new KvOptions { SessionIdleTimeoutMs = 500, MaxSessions = 8 };
        var commands = RandomCommands(seed: 7, count: 1_000);
        var straight = new KvStateMachine(options);
        var firstHalf = new KvStateMachine(options);
        for (var i = 0; i < commands.Count; i++)
        {
            straight.Apply(i + 1, commands[i].LeaderTimeMs, commands[i].Bytes);
            if (i < commands.Count / 2)
            {
                firstHalf.Apply(i + 1, commands[i].LeaderTimeMs, commands[i].Bytes);
            }
        }

        var resumed = KvStateMachine.Restore(firstHalf.TakeSnapshot(), options);
        for (var i = commands.Count / 2; i < commands.Count; i++)
        {
            resumed.Apply(i + 1, commands[i].LeaderTimeMs, commands[i].Bytes);
        }

        Assert.Equal(straight.TakeSnapshot(), resumed.TakeSnapshot());
    }

    [Fact]
    public void Corrupt_snapshot_is_refused()
    {
        var machine = new StoreDriver();
        machine.Put("k", "v");
        var snapshot = machine.Machine.TakeSnapshot();

        Assert.Throws<KvFormatException>(() => KvStateMachine.Restore(snapshot[..^2]));
        Assert.Throws<KvFormatException>(() => KvStateMachine.Restore([.. snapshot, 0]));
        Assert.Throws<KvFormatException>(() => KvStateMachine.Restore([99, .. snapshot[1..]]));
    }

    [Fact]
    public void Command_and_result_codecs_round_trip()
    {
        KvCommand[] commands =
        [
            new("c", 7, 3, new PutOperation("k", "v")),
            new("c", 8, 3, new CasOperation("k", null, "v")),
            new("c", 9, 3, new CasOperation("k", "old", "new")),
            KvCommand.Unsessioned(new ListOperation("p/", 50)),
            KvCommand.Unsessioned(new DeleteOperation("ключ")),
            KvCommand.Unsessioned(new GetOperation("k")),
            KvCommand.OpenSession("c"),
        ];
        KvResult[] results =
        [
            KvResult.Ok(3, new KvEntry("k", "v", 1, 3, 2)),
            KvResult.Listing(9, [new KvEntry("a", "1", 1, 1, 1), new KvEntry("b", "2", 2, 5, 3)], more: true),
            KvResult.Error(KvStatus.ValueTooLarge, 4, "too big"),
            KvResult.WithEntry(KvStatus.CompareFailed, 4, null),
        ];

        Assert.All(commands, c => Assert.Equal(c, KvCommandCodec.Decode(KvCommandCodec.Encode(c))));
        Assert.All(results, r => Assert.Equal(r, KvResultCodec.Decode(KvResultCodec.Encode(r))));
    }

    /// <summary>A seeded mix of every command, sessions included, on a few keys, with a clock that
    /// advances far enough for sessions to expire and be evicted.</summary>
    private static List<(long LeaderTimeMs, byte[] Bytes)> RandomCommands(int seed, int count)
    {
        var random = new Random(seed);
        var commands = new List<(long, byte[])>();
        var nowMs = 0L;
        var sequences = new long[12];
        for (var i = 0; i < count; i++)
        {
            nowMs += random.Next(0, 60);
            var key = $"k{random.Next(6)}";
            var value = $"v{random.Next(4)}";
            KvOperation operation = random.Next(6) switch
            {
                0 => new PutOperation(key, value),
                1 => new GetOperation(key),
                2 => new DeleteOperation(key),
                3 => new CasOperation(key, random.Next(3) == 0 ? null : $"v{random.Next(4)}", value),
                4 => new ListOperation("k", random.Next(1, 5)),
                _ => new OpenSessionOperation(),
            };
            var client = random.Next(sequences.Length);
            var clientId = $"client-{client}";
            var command = operation switch
            {
                OpenSessionOperation => KvCommand.OpenSession(clientId),
                _ when random.Next(3) == 0 => KvCommand.Unsessioned(operation),
                _ when random.Next(4) == 0 && sequences[client] > 0 =>
                    KvCommand.InSession(clientId, sequences[client], Math.Max(1, sequences[client] - 2), operation),
                _ => KvCommand.InSession(clientId, ++sequences[client], Math.Max(1, sequences[client] - 2), operation),
            };
            commands.Add((nowMs, KvCommandCodec.Encode(command)));
        }
        return commands;
    }
}
