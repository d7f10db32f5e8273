namespace RaftOrleans.KeyValue.Sessions;

/// <summary>
/// The live client sessions. Expiry is judged only on the state machine's clock (the largest leader
/// timestamp applied), so every replica expires the same sessions at the same log index. A session is
/// dead the moment it has been idle longer than <see cref="KvOptions.SessionIdleTimeoutMs"/>, whether or
/// not a sweep has removed it yet; sweeps only free memory, on a schedule that is itself part of the
/// replicated state so snapshots stay byte-identical across replicas.
/// </summary>
internal sealed class SessionTable(KvOptions options)
{
    private readonly Dictionary<string, ClientSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>Clock value at or after which the next sweep runs.</summary>
    public long NextSweepMs { get; private set; }

    public int Count => _sessions.Count;

    /// <summary>Opens <paramref name="clientId"/>'s session, or touches it when it is live. Reopening an
    /// expired id starts a new, empty session.</summary>
    public ClientSession Open(string clientId, long nowMs)
    {
        var live = FindLive(clientId, nowMs);
        if (live is not null)
        {
            live.LastActiveMs = nowMs;
            return live;
        }
        if (_sessions.Count >= options.MaxSessions)
        {
            Sweep(nowMs);
        }
        if (_sessions.Count >= options.MaxSessions)
        {
            EvictLeastRecentlyActive();
        }
        var session = new ClientSession(clientId, nowMs);
        _sessions.Add(clientId, session);
        return session;
    }

    /// <summary>The live session of <paramref name="clientId"/>, or null (an expired one is removed).</summary>
    public ClientSession? FindLive(string clientId, long nowMs)
    {
        if (!_sessions.TryGetValue(clientId, out var session))
        {
            return null;
        }
        if (IsExpired(session, nowMs))
        {
            _sessions.Remove(clientId);
            return null;
        }
        return session;
    }

    public void SweepIfDue(long nowMs)
    {
        if (nowMs >= NextSweepMs)
        {
            Sweep(nowMs);
        }
    }

    /// <summary>Sessions in ordinal id order (for a deterministic snapshot).</summary>
    public IEnumerable<ClientSession> InIdOrder() => _sessions.Values.OrderBy(s => s.ClientId, StringComparer.Ordinal);

    /// <summary>Rebuilds from a snapshot.</summary>
    public void Load(long nextSweepMs, IEnumerable<ClientSession> sessions)
    {
        NextSweepMs = nextSweepMs;
        foreach (var session in sessions)
        {
            if (!_sessions.TryAdd(session.ClientId, session))
            {
                throw new FormatException($"duplicate session in snapshot: {session.ClientId}");
            }
        }
    }

    private bool IsExpired(ClientSession session, long nowMs) => nowMs - session.LastActiveMs > options.SessionIdleTimeoutMs;

    private void Sweep(long nowMs)
    {
        foreach (var expired in _sessions.Values.Where(s => IsExpired(s, nowMs)).Select(s => s.ClientId).ToList())
        {
            _sessions.Remove(expired);
        }
        NextSweepMs = nowMs + Math.Max(1, options.SessionIdleTimeoutMs / 2);
    }

    // The dissertation's choice (§6.3): when the table is full, drop the least recently used session.
    // Ties go to the ordinally smallest id so that every replica picks the same one.
    private void EvictLeastRecentlyActive()
    {
        var victim = _sessions.Values
            .OrderBy(s => s.LastActiveMs)
            .ThenBy(s => s.ClientId, StringComparer.Ordinal)
            .First();
        _sessions.Remove(victim.ClientId);
    }
}
