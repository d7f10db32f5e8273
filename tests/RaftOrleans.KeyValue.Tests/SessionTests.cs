namespace RaftOrleans.KeyValue.Tests;

/// <summary>Exactly-once client sessions, Raft dissertation §6.3.</summary>
public sealed class SessionTests
{
    private const string Client = "client-a";

    [Fact]
    public void Retried_command_is_applied_once_and_gets_its_first_answer()
    {
        var store = new StoreDriver();
        store.Apply(KvCommand.OpenSession(Client));
        var put = KvCommand.InSession(Client, 1, 1, new PutOperation("k", "v1"));

        var first = store.Apply(put);
        store.Put("k", "v2");
        var retry = store.Apply(put);

        Assert.Equal(first, retry);
        Assert.Equal(1, retry.Entry!.ModRevision);
        Assert.Equal("v2", store.Get("k").Entry!.Value);
        Assert.Equal(2, store.Machine.Revision);
    }

    [Fact]
    public void Retried_cas_is_not_applied_twice()
    {
        var store = new StoreDriver();
        store.Apply(KvCommand.OpenSession(Client));
        store.Put("counter", "0");
        var increment = KvCommand.InSession(Client, 1, 1, new CasOperation("counter", "0", "1"));

        var first = store.Apply(increment);
        var retry = store.Apply(increment);

        Assert.Equal(KvStatus.Ok, first.Status);
        Assert.Equal(first, retry);
        Assert.Equal(2, store.Machine.Revision);
    }

    [Fact]
    public void Out_of_order_sequences_are_each_applied_once()
    {
        var store = new StoreDriver();
        store.Apply(KvCommand.OpenSession(Client));

        var third = store.Apply(KvCommand.InSession(Client, 3, 1, new PutOperation("c", "3")));
        var first = store.Apply(KvCommand.InSession(Client, 1, 1, new PutOperation("a", "1")));
        var second = store.Apply(KvCommand.InSession(Client, 2, 1, new PutOperation("b", "2")));
        var thirdAgain = store.Apply(KvCommand.InSession(Client, 3, 1, new PutOperation("c", "3")));

        Assert.All([third, first, second], r => Assert.Equal(KvStatus.Ok, r.Status));
        Assert.Equal(third, thirdAgain);
        Assert.Equal(3, store.Machine.Revision);
    }

    [Fact]
    public void Acknowledged_answers_are_forgotten_and_their_retries_refused()
    {
        var store = new StoreDriver();
        store.Apply(KvCommand.OpenSession(Client));
        var first = KvCommand.InSession(Client, 1, 1, new PutOperation("k", "v1"));
        store.Apply(first);
        store.Apply(KvCommand.InSession(Client, 2, 2, new PutOperation("k", "v2")));

        var lateRetry = store.Apply(first);

        Assert.Equal(KvStatus.StaleSequence, lateRetry.Status);
        Assert.Equal("v2", store.Get("k").Entry!.Value);
        Assert.Equal(2, store.Machine.Revision);
    }

    [Fact]
    public void Session_expires_after_idle_time_on_the_leader_clock()
    {
        var store = new StoreDriver(new KvOptions { SessionIdleTimeoutMs = 1_000 }) { NowMs = 10_000 };
        store.Apply(KvCommand.OpenSession(Client));
        store.PassTime(1_000);
        var stillAlive = store.Apply(KvCommand.InSession(Client, 1, 1, new PutOperation("k", "v1")));

        store.PassTime(1_000);
        store.NowMs += 1; // idle for 1001 ms since the last command
        var expired = store.Apply(KvCommand.InSession(Client, 2, 1, new PutOperation("k", "v2")));

        Assert.Equal(KvStatus.Ok, stillAlive.Status);
        Assert.Equal(KvStatus.SessionExpired, expired.Status);
        Assert.Equal("v1", store.Get("k").Entry!.Value);
        Assert.Equal(0, store.Machine.SessionCount);
    }

    [Fact]
    public void A_leader_clock_far_ahead_does_not_expire_every_session_in_one_entry()
    {
        var store = new StoreDriver(new KvOptions { SessionIdleTimeoutMs = 60_000 }) { NowMs = 1_000 };
        store.Apply(KvCommand.OpenSession(Client));
        store.Apply(KvCommand.OpenSession("client-b"));

        store.NowMs += 24 * 3_600_000; // one entry from a leader whose clock is a day ahead
        store.Put("k", "v0");
        store.NowMs = 2_000;
        var a = store.Apply(KvCommand.InSession(Client, 1, 1, new PutOperation("k", "a")));
        var b = store.Apply(KvCommand.InSession("client-b", 1, 1, new PutOperation("k", "b")));

        Assert.Equal((KvStatus.Ok, KvStatus.Ok), (a.Status, b.Status));
        Assert.Equal(2, store.Machine.SessionCount);
    }

    [Fact]
    public void Retry_after_expiry_is_not_applied_again()
    {
        var store = new StoreDriver(new KvOptions { SessionIdleTimeoutMs = 1_000 });
        store.Apply(KvCommand.OpenSession(Client));
        store.Put("counter", "0");
        var increment = KvCommand.InSession(Client, 1, 1, new CasOperation("counter", "0", "1"));
        store.Apply(increment);
        store.Put("counter", "0");

        store.PassTime(5_000);
        var retry = store.Apply(increment);

        Assert.Equal(KvStatus.SessionExpired, retry.Status);
        Assert.Equal("0", store.Get("counter").Entry!.Value);
    }

    [Fact]
    public void Command_of_an_unopened_session_is_not_applied()
    {
        var store = new StoreDriver();

        var result = store.Apply(KvCommand.InSession("never-opened", 1, 1, new PutOperation("k", "v")));

        Assert.Equal(KvStatus.SessionExpired, result.Status);
        Assert.Equal(KvStatus.NotFound, store.Get("k").Status);
    }

    [Fact]
    public void Reopening_a_live_session_keeps_its_answers()
    {
        var store = new StoreDriver();
        store.Apply(KvCommand.OpenSession(Client));
        var put = KvCommand.InSession(Client, 1, 1, new PutOperation("k", "v1"));
        var first = store.Apply(put);

        store.Apply(KvCommand.OpenSession(Client));
        var retry = store.Apply(put);

        Assert.Equal(first, retry);
        Assert.Equal(1, store.Machine.Revision);
    }

    [Fact]
    public void Full_table_evicts_the_least_recently_active_session()
    {
        var store = new StoreDriver(new KvOptions { MaxSessions = 2 });
        store.Apply(KvCommand.OpenSession("old"));
        store.NowMs += 10;
        store.Apply(KvCommand.OpenSession("recent"));
        store.NowMs += 10;
        store.Apply(KvCommand.OpenSession("newest"));

        var old = store.Apply(KvCommand.InSession("old", 1, 1, new PutOperation("k", "v")));
        var recent = store.Apply(KvCommand.InSession("recent", 1, 1, new PutOperation("k", "v")));

        Assert.Equal(KvStatus.SessionExpired, old.Status);
        Assert.Equal(KvStatus.Ok, recent.Status);
        Assert.Equal(2, store.Machine.SessionCount);
    }

    [Fact]
    public void Too_many_unacknowledged_answers_are_refused_until_acknowledged()
    {
        var store = new StoreDriver(new KvOptions { MaxOutstandingPerSession = 2 });
        store.Apply(KvCommand.OpenSession(Client));
        store.Apply(KvCommand.InSession(Client, 1, 1, new PutOperation("a", "1")));
        store.Apply(KvCommand.InSession(Client, 2, 1, new PutOperation("b", "2")));

        var refused = store.Apply(KvCommand.InSession(Client, 3, 1, new PutOperation("c", "3")));
        var accepted = store.Apply(KvCommand.InSession(Client, 3, 3, new PutOperation("c", "3")));

        Assert.Equal(KvStatus.TooManyOutstanding, refused.Status);
        Assert.Equal(KvStatus.Ok, accepted.Status);
        Assert.Equal(3, store.Machine.Revision);
    }

    [Theory]
    [InlineData(1, 0)] // lowest outstanding below 1
    [InlineData(1, 2)] // lowest outstanding above the sequence
    [InlineData(-1, 0)]
    public void Malformed_session_fields_are_invalid(long sequence, long lowestOutstanding)
    {
        var store = new StoreDriver();
        store.Apply(KvCommand.OpenSession(Client));

        var result = store.Apply(new KvCommand(Client, sequence, lowestOutstanding, new PutOperation("k", "v")));

        Assert.Equal(KvStatus.InvalidCommand, result.Status);
        Assert.Equal(0, store.Machine.Revision);
    }

    [Fact]
    public void Opening_a_session_needs_a_client_id()
    {
        var result = new StoreDriver().Apply(KvCommand.OpenSession(""));

        Assert.Equal(KvStatus.InvalidCommand, result.Status);
    }
}
