namespace RaftOrleans.KeyValue.Sessions;

/// <summary>
/// One client's session (dissertation §6.3): the answers to its applied sequences that the client has
/// not acknowledged yet, so that a retry gets the first answer instead of a second apply.
/// </summary>
internal sealed class ClientSession(string clientId, long lastActiveMs)
{
    private readonly SortedDictionary<long, KvResult> _answers = new();

    public string ClientId { get; } = clientId;

    /// <summary>State-machine clock of the last command of this session.</summary>
    public long LastActiveMs { get; set; } = lastActiveMs;

    /// <summary>Sequences below this were acknowledged by the client; their answers are gone.</summary>
    public long LowestOutstanding { get; private set; } = 1;

    public int AnswerCount => _answers.Count;

    public IEnumerable<KeyValuePair<long, KvResult>> Answers => _answers;

    public bool TryGetAnswer(long sequence, out KvResult answer) => _answers.TryGetValue(sequence, out answer!);

    public void Remember(long sequence, KvResult answer) => _answers.Add(sequence, answer);

    /// <summary>The client no longer waits for any sequence below <paramref name="lowestOutstanding"/>.
    /// Only moves forward: a delayed retry carrying an older value changes nothing.</summary>
    public void Acknowledge(long lowestOutstanding)
    {
        if (lowestOutstanding <= LowestOutstanding)
        {
            return;
        }
        LowestOutstanding = lowestOutstanding;
        while (_answers.Count > 0 && _answers.Keys.First() < lowestOutstanding)
        {
            _answers.Remove(_answers.Keys.First());
        }
    }

    /// <summary>Rebuilds from a snapshot.</summary>
    public static ClientSession Load(string clientId, long lastActiveMs, long lowestOutstanding,
        IEnumerable<KeyValuePair<long, KvResult>> answers)
    {
        var session = new ClientSession(clientId, lastActiveMs) { LowestOutstanding = lowestOutstanding };
        foreach (var (sequence, answer) in answers)
        {
            if (sequence < lowestOutstanding || !session._answers.TryAdd(sequence, answer))
            {
                throw new FormatException($"session {clientId}: answer for sequence {sequence} is duplicate or acknowledged");
            }
        }
        return session;
    }
}
