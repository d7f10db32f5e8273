namespace RaftOrleans.Client;

/// <summary>
/// One client session's numbering (dissertation §6.3): a fresh id, sequences 1, 2, 3, ... and the lowest
/// sequence still waiting for an answer, which tells the state machine which remembered answers it may drop.
/// Thread-safe. A session that expired is replaced by a new instance with a new id, never reused: an old
/// retry still in flight must not apply under a reopened id.
/// </summary>
internal sealed class SessionNumbering
{
    private readonly object _gate = new();
    private readonly SortedSet<long> _outstanding = [];
    private long _lastSequence;

    public SessionNumbering(string clientId) => ClientId = clientId;

    public string ClientId { get; }

    /// <summary>Set once the OpenSession command was applied.</summary>
    public bool Opened { get; set; }

    /// <summary>Takes the next sequence and marks it outstanding.</summary>
    public long Begin()
    {
        lock (_gate)
        {
            var sequence = ++_lastSequence;
            _outstanding.Add(sequence);
            return sequence;
        }
    }

    /// <summary>The answer to <paramref name="sequence"/> arrived, or the caller gave up on it. Either way
    /// the state machine may forget its answer: a late retry of it will then answer StaleSequence and not
    /// apply, so it still applies at most once.</summary>
    public void End(long sequence)
    {
        lock (_gate)
        {
            _outstanding.Remove(sequence);
        }
    }

    /// <summary>The lowest sequence still outstanding (the next one when none is).</summary>
    public long LowestOutstanding
    {
        get
        {
            lock (_gate)
            {
                return _outstanding.Count > 0 ? _outstanding.Min : _lastSequence + 1;
            }
        }
    }
}
