using RaftOrleans.Contracts;
using RaftOrleans.KeyValue;

namespace RaftOrleans.Client;

/// <summary>
/// The key-value client. It finds the leader (asks nodes in turn, follows leader hints, remembers who
/// answered), retries refused and timed-out attempts with jittered backoff, bounds every attempt and every
/// operation in time, and makes writes exactly-once with a client session (Raft dissertation §6.3): a write
/// retried after a lost answer is applied at most once and answers with its first result.
/// <para>Errors: <see cref="KvRequestException"/> for an invalid request (nothing sent);
/// <see cref="KvUnavailableException"/> when the overall deadline passed and the operation certainly did
/// not take effect; <see cref="KvOutcomeUnknownException"/> when it passed and a write may have taken
/// effect. Refusals that are answers (a key absent, a cas whose expectation did not hold) are results.</para>
/// <para>Thread-safe: calls may run concurrently; they share the leader cache and the session.</para>
/// </summary>
public sealed partial class RaftKvClient
{
    private readonly IRaftNodeChannel _channel;
    private readonly RaftKvClientOptions _options;
    private readonly KvOptions _limits;
    private readonly LeaderTracker _leader;
    private readonly Random _random;
    private readonly object _sessionGate = new();
    private SessionNumbering _session;

    /// <param name="limits">The limits the cluster's state machine runs with; requests beyond them are
    /// refused here, before a Raft round is spent on them.</param>
    public RaftKvClient(IRaftNodeChannel channel, RaftKvClientOptions? options = null, KvOptions? limits = null)
    {
        _channel = channel;
        _options = (options ?? new RaftKvClientOptions()).Validated();
        _limits = limits ?? KvOptions.Default;
        _random = _options.Seed is { } seed ? new Random(seed) : new Random();
        _leader = new LeaderTracker(() => channel.Nodes, _random.Next(channel.Nodes.Count));
        _session = NewSession();
    }

    /// <summary>The node that last answered as leader, if any.</summary>
    public string? KnownLeader => _leader.KnownLeader;

    /// <summary>The id of the current session (a new one after the cluster expired the previous).</summary>
    public string SessionId => Volatile.Read(ref _session).ClientId;

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/>; returns the entry written.</summary>
    public async Task<KvEntry> PutAsync(string key, string value, CancellationToken cancellationToken = default)
    {
        var result = await WriteAsync(new PutOperation(key, value), cancellationToken);
        return result.Entry ?? throw Unexpected(result);
    }

    /// <summary>The entry of <paramref name="key"/>, or null when absent. Linearizable unless
    /// <paramref name="stale"/>, which lets any node answer from what it has applied (possibly behind).</summary>
    public async Task<KvEntry?> GetAsync(string key, bool stale = false, CancellationToken cancellationToken = default) =>
        Entry(await ReadAsync(new GetOperation(key), stale, cancellationToken));

    /// <summary>Like a linearizable <see cref="GetAsync"/>, but the leader may answer from its lease without a
    /// heartbeat round (dissertation §6.4.1; safe while clocks drift less than the configured bound).</summary>
    public async Task<KvEntry?> GetLeasedAsync(string key, CancellationToken cancellationToken = default) =>
        Entry(await ReadAsync(new GetOperation(key), stale: false, cancellationToken, lease: true));

    private KvEntry? Entry(KvResult result) =>
        result.Status switch
        {
            KvStatus.Ok => result.Entry,
            KvStatus.NotFound => null,
            _ => throw Unexpected(result),
        };

    /// <summary>Removes <paramref name="key"/>; false when it was absent.</summary>
    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var result = await WriteAsync(new DeleteOperation(key), cancellationToken);
        return result.Status switch
        {
            KvStatus.Ok => true,
            KvStatus.NotFound => false,
            _ => throw Unexpected(result),
        };
    }

    /// <summary>Sets <paramref name="key"/> to <paramref name="value"/> only if its value is
    /// <paramref name="expected"/>; with <paramref name="expected"/> null, only if the key is absent.</summary>
    public async Task<CasResult> CasAsync(string key, string? expected, string value, CancellationToken cancellationToken = default)
    {
        var result = await WriteAsync(new CasOperation(key, expected, value), cancellationToken);
        return result.Status switch
        {
            KvStatus.Ok => new CasResult(true, result.Entry, result.Revision),
            KvStatus.CompareFailed => new CasResult(false, result.Entry, result.Revision),
            _ => throw Unexpected(result),
        };
    }

    /// <summary>Up to <paramref name="limit"/> entries whose key starts with <paramref name="prefix"/>
    /// (empty: all keys). Linearizable unless <paramref name="stale"/>.</summary>
    public async Task<KvListing> ListAsync(string prefix, int limit, bool stale = false, CancellationToken cancellationToken = default)
    {
        var result = await ReadAsync(new ListOperation(prefix, limit), stale, cancellationToken);
        return result.Status == KvStatus.Ok ? new KvListing(result.Entries, result.More, result.Revision) : throw Unexpected(result);
    }

    /// <summary>The leader a majority of the nodes shows (the self-declared leader of the highest term, else the
    /// one the most recent term's followers name), or null when they name none.</summary>
    public async Task<string?> FindLeaderAsync(CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.OverallDeadline);
        // Every node is asked at once, each call bounded by the overall deadline only (a first connect to a
        // loaded silo takes seconds); the answer comes once a majority answered, so a frozen node costs nothing.
        var nodes = _channel.Nodes; // read once: a channel that follows the cluster may gain nodes meanwhile
        var pending = nodes.Select(node => _channel.GetStatusAsync(node, deadline.Token).WaitAsync(deadline.Token)).ToList();
        var majority = nodes.Count / 2 + 1;
        var answers = new List<RaftOrleans.Contracts.NodeStatus>();
        while (pending.Count > 0 && answers.Count < majority)
        {
            var done = await Task.WhenAny(pending);
            pending.Remove(done);
            cancellationToken.ThrowIfCancellationRequested();
            if (done.IsCompletedSuccessfully)
            {
                answers.Add(done.Result);
            }
        }
        foreach (var abandoned in pending)
        {
            _ = abandoned.ContinueWith(static task => task.Exception, TaskScheduler.Default); // observed, not awaited
        }
        if (answers.Count == 0)
        {
            throw new KvUnavailableException($"no node answered within {_options.OverallDeadline.TotalSeconds:0.#} s");
        }
        // The self-declared leader of the highest term; else what the most recent term's followers name.
        var leader = answers.Where(status => status.Role == NodeRole.Leader).MaxBy(status => status.Term);
        return leader?.Node ?? answers.MaxBy(status => status.Term)!.Leader;
    }

    private void Validate(KvOperation operation)
    {
        if (KvValidation.Validate(operation, _limits) is { } error)
        {
            throw new KvRequestException(error.Status, error.Message);
        }
    }

    private static InvalidOperationException Unexpected(KvResult result) =>
        new($"the cluster answered {result} (client and cluster disagree on the protocol?)");
}
