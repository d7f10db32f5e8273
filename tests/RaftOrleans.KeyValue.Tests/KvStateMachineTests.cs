using RaftOrleans.KeyValue.Encoding;

namespace RaftOrleans.KeyValue.Tests;

public sealed class KvStateMachineTests
{
    [Fact]
    public void Put_then_get_returns_the_value_with_revisions()
    {
        var store = new StoreDriver();

        var put = store.Put("k", "v1");
        var get = store.Get("k");

        Assert.Equal(KvStatus.Ok, put.Status);
        Assert.Equal(new KvEntry("k", "v1", 1, 1, 1), put.Entry);
        Assert.Equal(1, put.Revision);
        Assert.Equal(put.Entry, get.Entry);
        Assert.Equal(1, get.Revision);
    }

    [Fact]
    public void Overwrite_keeps_create_revision_and_counts_versions()
    {
        var store = new StoreDriver();
        store.Put("a", "1");
        store.Put("b", "1");

        var second = store.Put("a", "2");

        Assert.Equal(new KvEntry("a", "2", CreateRevision: 1, ModRevision: 3, Version: 2), second.Entry);
        Assert.Equal(3, store.Machine.Revision);
    }

    [Fact]
    public void Get_of_absent_key_is_not_found()
    {
        var result = new StoreDriver().Get("missing");

        Assert.Equal(KvStatus.NotFound, result.Status);
        Assert.Null(result.Entry);
    }

    [Fact]
    public void Delete_removes_the_key_and_recreation_starts_versions_again()
    {
        var store = new StoreDriver();
        store.Put("k", "v1");
        store.Put("k", "v2");

        var deleted = store.Apply(new DeleteOperation("k"));
        var deletedAgain = store.Apply(new DeleteOperation("k"));
        var recreated = store.Put("k", "v3");

        Assert.Equal(KvStatus.Ok, deleted.Status);
        Assert.Equal("v2", deleted.Entry!.Value);
        Assert.Equal(3, deleted.Revision);
        Assert.Equal(KvStatus.NotFound, deletedAgain.Status);
        Assert.Equal(3, deletedAgain.Revision);
        Assert.Equal(new KvEntry("k", "v3", 4, 4, 1), recreated.Entry);
    }

    [Fact]
    public void Cas_swaps_only_when_the_expectation_holds()
    {
        var store = new StoreDriver();
        store.Put("k", "v1");

        var failed = store.Apply(new CasOperation("k", "other", "v2"));
        var swapped = store.Apply(new CasOperation("k", "v1", "v2"));

        Assert.Equal(KvStatus.CompareFailed, failed.Status);
        Assert.Equal("v1", failed.Entry!.Value);
        Assert.Equal(1, failed.Revision);
        Assert.Equal(KvStatus.Ok, swapped.Status);
        Assert.Equal(new KvEntry("k", "v2", 1, 2, 2), swapped.Entry);
        Assert.Equal("v2", store.Get("k").Entry!.Value);
    }

    [Fact]
    public void Cas_without_expectation_creates_only_when_absent()
    {
        var store = new StoreDriver();

        var created = store.Apply(new CasOperation("k", null, "first"));
        var refused = store.Apply(new CasOperation("k", null, "second"));

        Assert.Equal(KvStatus.Ok, created.Status);
        Assert.Equal(KvStatus.CompareFailed, refused.Status);
        Assert.Equal("first", refused.Entry!.Value);
        Assert.Equal("first", store.Get("k").Entry!.Value);
    }

    [Fact]
    public void List_returns_prefix_matches_in_ordinal_order_up_to_the_limit()
    {
        var store = new StoreDriver();
        foreach (var key in new[] { "user/3", "user/1", "users", "user/2", "usea", "a", "z" })
        {
            store.Put(key, key.ToUpperInvariant());
        }

        var firstTwo = store.Apply(new ListOperation("user/", 2));
        var all = store.Apply(new ListOperation("user/", 10));
        var everything = store.Apply(new ListOperation("", 100));
        var none = store.Apply(new ListOperation("zz", 10));

        Assert.Equal(["user/1", "user/2"], firstTwo.Entries.Select(e => e.Key));
        Assert.True(firstTwo.More);
        Assert.Equal(["user/1", "user/2", "user/3"], all.Entries.Select(e => e.Key));
        Assert.False(all.More);
        Assert.Equal(["a", "usea", "user/1", "user/2", "user/3", "users", "z"], everything.Entries.Select(e => e.Key));
        Assert.Empty(none.Entries);
    }

    [Fact]
    public void Limits_are_answers_not_exceptions()
    {
        var options = new KvOptions { MaxKeyBytes = 8, MaxValueBytes = 16, MaxListLimit = 5 };
        var store = new StoreDriver(options);

        Assert.Equal(KvStatus.InvalidKey, store.Put("123456789", "v").Status);
        Assert.Equal(KvStatus.InvalidKey, store.Put("", "v").Status);
        Assert.Equal(KvStatus.Ok, store.Put("12345678", "v").Status);
        // Limits count UTF-8 bytes: four 2-byte characters are 8 bytes, five are 10.
        Assert.Equal(KvStatus.Ok, store.Put("éééé", "v").Status);
        Assert.Equal(KvStatus.InvalidKey, store.Put("ééééé", "v").Status);
        Assert.Equal(KvStatus.ValueTooLarge, store.Put("k", new string('x', 17)).Status);
        Assert.Equal(KvStatus.ValueTooLarge, store.Apply(new CasOperation("k", null, new string('x', 17))).Status);
        Assert.Equal(KvStatus.InvalidCommand, store.Apply(new ListOperation("", 6)).Status);
        Assert.Equal(KvStatus.InvalidCommand, store.Apply(new ListOperation("", 0)).Status);
        Assert.Equal(2, store.Machine.Revision);
    }

    [Fact]
    public void Default_limits_are_one_kibibyte_keys_and_one_mebibyte_values()
    {
        var store = new StoreDriver();

        Assert.Equal(KvStatus.Ok, store.Put(new string('k', 1024), "v").Status);
        Assert.Equal(KvStatus.InvalidKey, store.Put(new string('k', 1025), "v").Status);
        Assert.Equal(KvStatus.Ok, store.Put("k", new string('v', 1024 * 1024)).Status);
        Assert.Equal(KvStatus.ValueTooLarge, store.Put("k", new string('v', 1024 * 1024 + 1)).Status);
    }

    [Fact]
    public void Validation_refuses_early_what_apply_would_refuse()
    {
        var options = new KvOptions { MaxKeyBytes = 4 };
        var tooLong = new PutOperation("12345", "v");

        var early = KvValidation.Validate(KvCommand.Unsessioned(tooLong), options);
        var applied = new StoreDriver(options).Apply(tooLong);

        Assert.NotNull(early);
        Assert.Equal(early.Status, applied.Status);
        Assert.Equal(early.Message, applied.Message);
        Assert.Null(KvValidation.Validate(new PutOperation("1234", "v"), options));
    }

    [Fact]
    public void Invalid_unicode_is_refused()
    {
        var loneSurrogate = "k\ud800";

        Assert.Equal(KvStatus.InvalidKey, KvValidation.Validate(new GetOperation(loneSurrogate), KvOptions.Default)!.Status);
        Assert.Throws<KvFormatException>(() => KvCommandCodec.Encode(KvCommand.Unsessioned(new GetOperation(loneSurrogate))));
    }

    [Fact]
    public void Undecodable_bytes_answer_invalid_command_and_still_consume_the_index()
    {
        var machine = new KvStateMachine();

        var garbage = machine.Apply(1, 1_000, new byte[] { 0xFF, 0x01, 0x02 });
        var truncated = machine.Apply(2, 1_000, KvCommandCodec.Encode(KvCommand.Unsessioned(new PutOperation("k", "v")))[..^1]);

        Assert.Equal(KvStatus.InvalidCommand, garbage.Status);
        Assert.Equal(KvStatus.InvalidCommand, truncated.Status);
        Assert.Equal(2, machine.AppliedIndex);
        Assert.Equal(0, machine.Revision);
    }

    [Fact]
    public void Applying_an_index_twice_or_backwards_is_a_host_bug()
    {
        var machine = new KvStateMachine();
        var command = KvCommandCodec.Encode(KvCommand.Unsessioned(new PutOperation("k", "v")));
        machine.Apply(5, 1_000, command);

        Assert.Throws<InvalidOperationException>(() => machine.Apply(5, 1_000, command));
        Assert.Throws<InvalidOperationException>(() => machine.Skip(4));
        machine.Skip(6);
        Assert.Equal(6, machine.AppliedIndex);
    }

    [Fact]
    public void Query_reads_without_the_log_and_refuses_writes()
    {
        var store = new StoreDriver();
        store.Put("k", "v");

        Assert.Equal("v", store.Machine.Query(new GetOperation("k")).Entry!.Value);
        Assert.Single(store.Machine.Query(new ListOperation("", 10)).Entries);
        Assert.Throws<ArgumentException>(() => store.Machine.Query(new PutOperation("k", "w")));
        Assert.Equal(1, store.Machine.AppliedIndex);
    }

    [Fact]
    public void Clock_is_the_largest_leader_timestamp_seen()
    {
        var store = new StoreDriver { NowMs = 5_000 };
        store.Put("a", "1");
        store.NowMs = 3_000; // a new leader whose clock is behind
        store.Put("b", "1");

        Assert.Equal(5_000, store.Machine.ClockMs);
    }

    [Fact]
    public void The_first_timestamp_sets_the_clock()
    {
        var store = new StoreDriver { NowMs = 1_767_225_600_000 };
        store.Put("a", "1");

        Assert.Equal(1_767_225_600_000, store.Machine.ClockMs);
    }

    [Fact]
    public void One_entry_moves_the_clock_by_at_most_the_step_limit()
    {
        var options = new KvOptions { SessionIdleTimeoutMs = 60_000 };
        var store = new StoreDriver(options) { NowMs = 1_000 };
        store.Put("a", "1");

        // A leader whose clock is an hour ahead, then the honest leaders again: each entry moves the clock
        // at most a quarter of the session timeout, and the honest timestamps, now behind, move it no more.
        store.NowMs += 3_600_000;
        store.Put("a", "2");
        var afterOne = store.Machine.ClockMs;
        store.Put("a", "3");
        var afterTwo = store.Machine.ClockMs;
        store.NowMs = 2_000;
        store.Put("a", "4");

        Assert.Equal(15_000, options.ClockStepLimitMs);
        Assert.Equal(1_000 + 15_000, afterOne);
        Assert.Equal(1_000 + 30_000, afterTwo);
        Assert.Equal(afterTwo, store.Machine.ClockMs);
    }

    [Fact]
    public void A_command_of_the_timestamped_format_still_applies_at_the_time_it_carries()
    {
        // Logs written before the entry envelope hold version-1 commands with the leader's timestamp inside:
        // OpenSession("c") at 5000 ms is version 1, opcode 6, "c", sequence 0, lowest 0, then 5000 as a varint.
        byte[] timestamped = [KvCommandCodec.TimestampedFormatVersion, 6, 1, (byte)'c', 0, 0, 0x88, 0x27];
        var machine = new KvStateMachine();

        var opened = machine.Apply(1, leaderTimeMs: 0, timestamped);

        Assert.Equal(KvStatus.Ok, opened.Status);
        Assert.Equal(5_000, machine.ClockMs);
        Assert.Equal(1, machine.SessionCount);
    }

    [Fact]
    public void The_entrys_leader_time_is_the_time_a_current_command_applies_at()
    {
        var machine = new KvStateMachine();
        var open = KvCommandCodec.Encode(KvCommand.OpenSession("c"));

        machine.Apply(1, leaderTimeMs: 7_000, open);

        Assert.Equal(KvCommandCodec.FormatVersion, open[0]);
        Assert.Equal(7_000, machine.ClockMs);
    }

    [Fact]
    public void A_command_of_an_unknown_format_is_invalid_everywhere()
    {
        var machine = new KvStateMachine();
        var command = KvCommandCodec.Encode(KvCommand.OpenSession("c"));
        command[0] = 9;

        var result = machine.Apply(1, leaderTimeMs: 7_000, command);

        Assert.Equal(KvStatus.InvalidCommand, result.Status);
        Assert.Contains("format version 9", result.Message);
    }
}
