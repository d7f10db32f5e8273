using System.Diagnostics;
using RaftOrleans.KeyValue;

namespace RaftOrleans.Client.Tests;

public sealed class RaftKvClientTests
{
    // Short limits so that deadline tests take a second, not ten.
    private static readonly RaftKvClientOptions Fast = new()
    {
        OverallDeadline = TimeSpan.FromSeconds(1),
        WriteAttemptTimeout = TimeSpan.FromMilliseconds(150),
        ReadAttemptTimeout = TimeSpan.FromMilliseconds(150),
        InitialBackoff = TimeSpan.FromMilliseconds(5),
        MaxBackoff = TimeSpan.FromMilliseconds(40),
        Seed = 7,
    };

    [Fact]
    public async Task A_write_follows_the_leader_hint_and_the_leader_is_remembered()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n3");
        var client = new RaftKvClient(cluster, Fast);

        var written = await client.PutAsync("k", "v1");

        Assert.Equal("v1", written.Value);
        Assert.Equal("n3", client.KnownLeader);
        cluster.Calls.Clear();
        Assert.Equal("v1", (await client.GetAsync("k"))!.Value);
        Assert.Equal(["n3"], cluster.Calls.ToArray());
    }

    /// <summary>A cluster grown while a client runs: the new leader is a node the client did not know when it
    /// started. The client follows the hint to it once its channel reaches it.</summary>
    [Fact]
    public async Task A_write_reaches_a_leader_that_joined_after_the_client_started()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        var client = new RaftKvClient(cluster, Fast);
        await client.PutAsync("k", "v1");

        cluster.AddNode("n4");
        cluster.Elect("n4");
        var written = await client.PutAsync("k", "v2");

        Assert.Equal("v2", written.Value);
        Assert.Equal("n4", client.KnownLeader);
    }

    [Fact]
    public async Task A_write_whose_answer_was_lost_is_retried_and_applied_once()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        // A deadline well beyond the retries: on a loaded machine the first call alone (JIT) can take a second.
        var client = new RaftKvClient(cluster, Fast with { OverallDeadline = TimeSpan.FromSeconds(10) });
        await client.PutAsync("warm-up", "x");
        var revisionBefore = cluster.Revision;

        // The create-if-absent applies, its answer is lost twice; a second apply would find the key present.
        cluster.LoseReplies(2);
        var swap = await client.CasAsync("k", null, "first");

        Assert.True(swap.Swapped, "the retry must get the first answer, not apply again and fail the comparison");
        Assert.Equal(revisionBefore + 1, cluster.Revision);
        Assert.Equal("first", (await client.GetAsync("k"))!.Value);
    }

    [Fact]
    public async Task Without_a_leader_the_client_gives_up_at_its_deadline_with_a_certain_failure()
    {
        var cluster = new SimulatedCluster();
        foreach (var node in cluster.Nodes) cluster.Set(node, NodeBehaviour.Follower);
        var client = new RaftKvClient(cluster, Fast);

        var clock = Stopwatch.StartNew();
        var failure = await Assert.ThrowsAsync<KvUnavailableException>(() => client.PutAsync("k", "v"));

        Assert.False(failure.MayHaveTakenEffect);
        Assert.InRange(clock.Elapsed, Fast.OverallDeadline * 0.9, Fast.OverallDeadline * 3);
        Assert.Equal(0, cluster.Revision);
    }

    [Fact]
    public async Task A_write_that_may_have_applied_before_the_deadline_is_reported_as_unknown()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n2");
        var client = new RaftKvClient(cluster, Fast);
        await client.PutAsync("warm-up", "x");

        cluster.LoseReplies(int.MaxValue);
        var failure = await Assert.ThrowsAsync<KvOutcomeUnknownException>(() => client.PutAsync("k", "v"));

        Assert.True(failure.MayHaveTakenEffect);
    }

    [Fact]
    public async Task A_write_accepted_by_a_new_leader_that_answers_after_the_deadline_is_reported_as_unknown()
    {
        // One attempt may outlast the deadline, as with the defaults (4 s attempts, 10 s deadline): the
        // deadline, not the attempt limit, cuts the call. n3 accepts the write and commits it, but its
        // answer comes after the client's deadline.
        var failure = await WriteDuringAnElection(Fast with { WriteAttemptTimeout = TimeSpan.FromSeconds(5) },
            NodeBehaviour.LateLeader, lostReplies: 0);

        Assert.True(failure is KvOutcomeUnknownException, $"the write was applied, but the client reported {failure}");
    }

    [Fact]
    public async Task A_write_whose_answer_was_lost_then_whose_pause_outlasts_the_deadline_is_reported_as_unknown()
    {
        // n3 applies the write and its answer is lost: that ends a whole round of moves without a success,
        // so the client pauses, and the pause runs past the deadline.
        var failure = await WriteDuringAnElection(Fast with { InitialBackoff = TimeSpan.FromSeconds(5), MaxBackoff = TimeSpan.FromSeconds(5) },
            NodeBehaviour.Leader, lostReplies: 1);

        Assert.True(failure is KvOutcomeUnknownException, $"the write was applied, but the client reported {failure}");
    }

    /// <summary>A write during an election after a warm-up on n1: n1 and n2 know no leader and refuse, then
    /// n3, the new leader, applies it. Returns how the write failed (null if it did not), after checking
    /// that it was applied once.</summary>
    private static async Task<Exception?> WriteDuringAnElection(RaftKvClientOptions options, NodeBehaviour newLeader, int lostReplies)
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        var client = new RaftKvClient(cluster, options);
        await client.PutAsync("warm-up", "x");
        var revisionBefore = cluster.Revision;

        cluster.Hint = null;
        cluster.Set("n1", NodeBehaviour.Follower);
        cluster.Set("n2", NodeBehaviour.Follower);
        cluster.Set("n3", newLeader);
        cluster.LoseReplies(lostReplies);
        var failure = await Record.ExceptionAsync(() => client.PutAsync("k", "v"));

        Assert.Equal(revisionBefore + 1, cluster.Revision);
        return failure;
    }

    [Fact]
    public async Task No_attempt_starts_after_the_deadline_so_a_write_refused_until_then_was_not_applied()
    {
        // Well past the 1 s deadline, so that a late deadline timer on a busy machine still fires first.
        var cluster = new SimulatedCluster { LateAnswer = TimeSpan.FromMilliseconds(2500) };
        cluster.Elect("n2");
        var client = new RaftKvClient(cluster, Fast);
        await client.PutAsync("warm-up", "x");
        var revisionBefore = cluster.Revision;

        // n2 answers that it is no longer leader, after the deadline; n3 would accept the write.
        cluster.Set("n1", NodeBehaviour.Follower);
        cluster.Set("n2", NodeBehaviour.SlowFollower);
        cluster.Set("n3", NodeBehaviour.Leader);
        cluster.Hint = "n3";
        cluster.Calls.Clear();
        var failure = await Assert.ThrowsAsync<KvUnavailableException>(() => client.PutAsync("k", "v"));

        Assert.False(failure.MayHaveTakenEffect);
        Assert.Equal(["n2"], cluster.Calls.ToArray());
        Assert.Equal(revisionBefore, cluster.Revision);
    }

    [Fact]
    public async Task A_session_opening_cut_by_the_deadline_reports_the_write_as_not_applied_and_the_next_write_reopens()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        cluster.Set("n1", NodeBehaviour.LateLeader);
        var client = new RaftKvClient(cluster, Fast with { WriteAttemptTimeout = TimeSpan.FromSeconds(5) });

        // The session may have been opened on the cluster, but the write itself was never sent.
        var failure = await Assert.ThrowsAsync<KvUnavailableException>(() => client.PutAsync("k", "v"));

        Assert.False(failure.MayHaveTakenEffect);
        Assert.Contains("session", failure.Message);
        Assert.Equal(0, cluster.Revision);
        cluster.Set("n1", NodeBehaviour.Leader);
        Assert.Equal("v", (await client.PutAsync("k", "v")).Value);
        Assert.Equal(1, cluster.Revision);
    }

    [Fact]
    public async Task A_read_cut_by_the_deadline_says_it_timed_out_and_certainly_had_no_effect()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        var client = new RaftKvClient(cluster, Fast with { ReadAttemptTimeout = TimeSpan.FromSeconds(5) });
        await client.PutAsync("k", "v");
        cluster.Set("n1", NodeBehaviour.Frozen);

        var failure = await Assert.ThrowsAsync<KvUnavailableException>(() => client.GetAsync("k"));

        Assert.False(failure.MayHaveTakenEffect);
        Assert.Contains("timed out", failure.Message);
    }

    [Fact]
    public async Task A_frozen_leader_costs_one_attempt_limit_then_the_new_leader_serves()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        var client = new RaftKvClient(cluster, Fast with { OverallDeadline = TimeSpan.FromSeconds(5) });
        await client.PutAsync("k", "v1");

        cluster.Elect("n2");
        cluster.Set("n1", NodeBehaviour.Frozen);
        var clock = Stopwatch.StartNew();
        await client.PutAsync("k", "v2");

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed.TotalMilliseconds:0} ms");
        Assert.Equal("n2", client.KnownLeader);
        Assert.Equal("v2", (await client.GetAsync("k"))!.Value);
    }

    [Fact]
    public async Task Unreachable_nodes_are_skipped()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n3");
        cluster.Set("n1", NodeBehaviour.Unreachable);
        cluster.Set("n2", NodeBehaviour.Unreachable);
        var client = new RaftKvClient(cluster, Fast);

        Assert.True(await client.DeleteAsync("absent") is false);
        Assert.Equal("n3", client.KnownLeader);
    }

    /// <summary>Every gateway refusing the connection means no silo runs: retrying until the deadline could
    /// not change the answer, so a console command says so at once (one round of attempts).</summary>
    [Fact]
    public async Task With_every_node_refusing_its_connection_the_client_gives_up_after_one_round()
    {
        var cluster = new SimulatedCluster();
        foreach (var node in cluster.Nodes) cluster.Set(node, NodeBehaviour.NotRunning);
        var client = new RaftKvClient(cluster, Fast with { OverallDeadline = TimeSpan.FromMinutes(5), GiveUpWhenNoNodeIsRunning = true });

        var write = await Assert.ThrowsAsync<KvNoNodeRunningException>(() => client.PutAsync("k", "v"));
        Assert.False(write.MayHaveTakenEffect);
        Assert.Equal(3, cluster.Calls.Count);
        Assert.Contains("no node is running", write.Message);
        foreach (var node in cluster.Nodes) Assert.Contains(node, write.Message);

        cluster.Calls.Clear();
        await Assert.ThrowsAsync<KvNoNodeRunningException>(() => client.GetAsync("k"));
        Assert.Equal(3, cluster.Calls.Count);
    }

    /// <summary>One node still running (it may become leader), or a client told to ride out a restart of
    /// the whole cluster: the operation is retried until its deadline.</summary>
    [Theory]
    [InlineData(true, new[] { "n1", "n3" })]
    [InlineData(false, new[] { "n1", "n2", "n3" })]
    public async Task Otherwise_refused_connections_are_retried_until_the_deadline(bool giveUpWhenNoNodeIsRunning, string[] notRunning)
    {
        var cluster = new SimulatedCluster();
        foreach (var node in notRunning) cluster.Set(node, NodeBehaviour.NotRunning);
        var client = new RaftKvClient(cluster, Fast with { GiveUpWhenNoNodeIsRunning = giveUpWhenNoNodeIsRunning });

        var failure = await Assert.ThrowsAsync<KvUnavailableException>(() => client.PutAsync("k", "v"));
        Assert.IsNotType<KvNoNodeRunningException>(failure);
        Assert.True(cluster.Calls.Count > 3, $"{cluster.Calls.Count} attempts");
    }

    /// <summary>A write whose answer was lost may have committed: silos that are all down afterwards do not
    /// make it "not applied".</summary>
    [Fact]
    public async Task A_lost_answer_before_every_node_stopped_leaves_the_write_in_doubt()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        var client = new RaftKvClient(cluster, Fast with { OverallDeadline = TimeSpan.FromMinutes(5), GiveUpWhenNoNodeIsRunning = true });
        await client.PutAsync("opened", "session");
        cluster.LoseReplies(1);
        cluster.WhenAReplyIsLost = () =>
        {
            foreach (var node in cluster.Nodes) cluster.Set(node, NodeBehaviour.NotRunning);
        };

        var failure = await Assert.ThrowsAsync<KvOutcomeUnknownException>(() => client.PutAsync("k", "v"));
        Assert.True(failure.MayHaveTakenEffect);
        Assert.Contains("no node is running", failure.Message);
    }

    [Fact]
    public async Task An_expired_session_is_replaced_by_a_new_one_and_the_write_applies_once()
    {
        var limits = KvOptions.Default with { SessionIdleTimeoutMs = 1000 };
        var cluster = new SimulatedCluster(limits);
        cluster.Elect("n1");
        var client = new RaftKvClient(cluster, Fast, limits);
        await client.PutAsync("k", "v1");
        var firstSession = client.SessionId;

        cluster.PassTime(5000);
        var revisionBefore = cluster.Revision;
        await client.PutAsync("k", "v2");

        Assert.NotEqual(firstSession, client.SessionId);
        Assert.Equal(revisionBefore + 1, cluster.Revision);
    }

    [Fact]
    public async Task Cas_reports_the_entry_found_when_the_expectation_does_not_hold()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        var client = new RaftKvClient(cluster, Fast);
        await client.PutAsync("k", "actual");

        var swap = await client.CasAsync("k", "expected", "new");
        var absentOnly = await client.CasAsync("k", null, "new");

        Assert.False(swap.Swapped);
        Assert.Equal("actual", swap.Current!.Value);
        Assert.False(absentOnly.Swapped);
        Assert.Equal("actual", (await client.GetAsync("k"))!.Value);
    }

    [Fact]
    public async Task A_value_over_the_limit_is_refused_before_anything_is_sent()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        var client = new RaftKvClient(cluster, Fast, KvOptions.Default with { MaxValueBytes = 10 });

        var refusal = await Assert.ThrowsAsync<KvRequestException>(() => client.PutAsync("k", new string('x', 11)));

        Assert.Equal(KvStatus.ValueTooLarge, refusal.Status);
        Assert.Empty(cluster.Calls);
    }

    [Fact]
    public async Task A_stale_read_is_answered_by_a_follower()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        var client = new RaftKvClient(cluster, Fast with { Seed = 1 });
        await client.PutAsync("k", "v");
        cluster.Set("n1", NodeBehaviour.Frozen);

        Assert.Equal("v", (await client.GetAsync("k", stale: true))!.Value);
    }

    [Fact]
    public async Task Listing_returns_keys_in_order_and_says_when_more_remain()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        var client = new RaftKvClient(cluster, Fast);
        foreach (var key in new[] { "a/2", "a/1", "b/1", "a/3" }) await client.PutAsync(key, key);

        var listing = await client.ListAsync("a/", 2);

        Assert.Equal(["a/1", "a/2"], listing.Entries.Select(entry => entry.Key).ToArray());
        Assert.True(listing.More);
    }

    [Fact]
    public async Task Concurrent_writes_of_one_client_each_apply_once()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n2");
        var client = new RaftKvClient(cluster, Fast with { OverallDeadline = TimeSpan.FromSeconds(5) });
        await client.PutAsync("warm-up", "x");
        var revisionBefore = cluster.Revision;

        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => Task.Run(() => client.PutAsync($"k{i}", $"v{i}"))));

        Assert.Equal(revisionBefore + 50, cluster.Revision);
    }

    [Fact]
    public async Task The_leader_is_found_from_the_nodes_status()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n2");
        cluster.Set("n3", NodeBehaviour.Frozen);
        var client = new RaftKvClient(cluster, Fast);

        Assert.Equal("n2", await client.FindLeaderAsync());
    }

    /// <summary>`raftctl leader --timeout-ms 8000` once said "no node answered within 2 s" of a loaded but
    /// healthy cluster: each status call was cut at the read attempt limit, whatever the overall deadline.</summary>
    [Fact]
    public async Task The_leader_is_found_when_statuses_take_longer_than_one_read_attempt_but_arrive_before_the_deadline()
    {
        var cluster = new SimulatedCluster { StatusDelay = TimeSpan.FromMilliseconds(500) };
        cluster.Elect("n2");
        var client = new RaftKvClient(cluster, Fast with { OverallDeadline = TimeSpan.FromSeconds(20) });

        Assert.Equal("n2", await client.FindLeaderAsync());
    }

    /// <summary>A frozen node does not hold the answer: once a majority answered, the leader they show is it.</summary>
    [Fact]
    public async Task The_leader_is_found_from_a_majority_without_waiting_for_a_frozen_node()
    {
        var cluster = new SimulatedCluster();
        cluster.Elect("n1");
        cluster.Set("n3", NodeBehaviour.Frozen);
        var client = new RaftKvClient(cluster, Fast with { OverallDeadline = TimeSpan.FromMinutes(5) });

        // Bounded far below the deadline: waiting for the frozen node would take the whole 5 minutes.
        Assert.Equal("n1", await client.FindLeaderAsync().WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
