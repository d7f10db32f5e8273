using System.Text;
using RaftOrleans.Raft.Messages;

namespace RaftOrleans.Raft.Tests.Paper;

/// <summary>Builders shared by the paper tests: options, entries and hand-made messages.</summary>
internal static class PaperKit
{
    public const int ElectionTicks = 10;

    public static string[] Ids(int count) => Enumerable.Range(1, count).Select(i => $"n{i}").ToArray();

    /// <summary>Options for the plain algorithm of the paper's §5: no pre-vote, no check-quorum, so each
    /// rule can be observed alone. The tests of §9.6 and §6.2 switch those on explicitly.</summary>
    public static RaftOptions Options(string id = "n1", int voters = 3) => new()
    {
        NodeId = id,
        Voters = Ids(voters),
        ElectionTicks = ElectionTicks,
        HeartbeatTicks = 1,
        PreVote = false,
        CheckQuorum = false,
    };

    public static LogEntry Entry(long index, long term, string command = "") =>
        new(index, term, command.Length == 0 ? EntryKind.NoOp : EntryKind.Command, Encoding.UTF8.GetBytes(command));

    /// <summary>A log whose entry i (1-based) has term terms[i-1].</summary>
    public static LogEntry[] LogWithTerms(params long[] terms) =>
        terms.Select((term, i) => Entry(i + 1, term, $"e{i + 1}t{term}")).ToArray();

    public static PersistentState Persisted(long term, long commit, params LogEntry[] log) =>
        new(new HardState(term, null, commit), log);

    public static AppendEntries Append(string from, string to, long term, long prevIndex, long prevTerm, long leaderCommit,
        params LogEntry[] entries) => new(from, to, term, prevIndex, prevTerm, entries, leaderCommit);

    public static AppendEntries Heartbeat(string from, string to, long term, long prevIndex = 0, long prevTerm = 0, long leaderCommit = 0) =>
        new(from, to, term, prevIndex, prevTerm, Array.Empty<LogEntry>(), leaderCommit);

    public static RequestVote Vote(string from, string to, long term, long lastIndex, long lastTerm, bool preVote = false) =>
        new(from, to, term, lastIndex, lastTerm, preVote, Transfer: false);

    /// <summary>The success answer a follower that stored everything in <paramref name="append"/> gives.</summary>
    public static AppendEntriesResponse Ack(AppendEntries append) =>
        new(append.To, append.From, append.Term, true, append.LastIndex, 0, 0, 0);

    public static AppendEntriesResponse Reject(AppendEntries append, long conflictTerm, long conflictIndex) =>
        new(append.To, append.From, append.Term, false, 0, append.PrevLogIndex, conflictTerm, conflictIndex);

    public static string Text(LogEntry entry) => Encoding.UTF8.GetString(entry.Data);

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
}

/// <summary>
/// Plays the host of one <see cref="RaftNode"/> the way <see cref="Ready"/> demands (persist, send,
/// apply, advance) and keeps what it persisted, sent and applied. Every Ready it processes is checked
/// against the persist-before-send rule: a vote grant or an append acknowledgement may leave only if
/// the state it promises is durable once this Ready's write is done.
/// </summary>
internal sealed class Host
{
    private readonly List<LogEntry> _log = new();

    public Host(RaftOptions options, int seed = 1, PersistentState? restored = null)
    {
        if (restored is not null)
        {
            _log.AddRange(restored.Entries);
            Hard = restored.HardState;
        }
        Node = new RaftNode(options, new Random(seed), restored);
        Drain();
    }

    public RaftNode Node { get; }

    public string Id => Node.Id;

    /// <summary>The durable hard state, as of the last Ready.</summary>
    public HardState Hard { get; private set; } = HardState.Empty;

    /// <summary>The durable log.</summary>
    public IReadOnlyList<LogEntry> Log => _log;

    public List<LogEntry> Applied { get; } = new();

    /// <summary>Every Ready processed, oldest first.</summary>
    public List<Ready> Readies { get; } = new();

    public PersistentState Persisted => new(Hard, _log.ToList());

    /// <summary>Processes every pending Ready; returns the messages they sent.</summary>
    public List<RaftMessage> Drain()
    {
        var sent = new List<RaftMessage>();
        while (Node.HasReady)
        {
            var ready = Node.GetReady();
            Readies.Add(ready);
            Persist(ready);
            foreach (var message in ready.Messages)
            {
                AssertPromiseIsDurable(message);
                sent.Add(message);
            }
            Applied.AddRange(ready.CommittedEntries);
            Node.Advance(ready);
        }
        return sent;
    }

    public List<RaftMessage> Step(RaftMessage message)
    {
        Node.Step(message);
        return Drain();
    }

    public List<RaftMessage> StepAll(IEnumerable<RaftMessage> messages)
    {
        var sent = new List<RaftMessage>();
        foreach (var message in messages.ToList()) sent.AddRange(Step(message));
        return sent;
    }

    public List<RaftMessage> Tick(int ticks = 1)
    {
        var sent = new List<RaftMessage>();
        for (var i = 0; i < ticks; i++)
        {
            Node.Tick();
            sent.AddRange(Drain());
        }
        return sent;
    }

    public ProposeResult Propose(string command) => Node.Propose(PaperKit.Bytes(command));

    /// <summary>Campaigns and answers every (pre-)vote request with a grant until the node leads;
    /// returns what the new leader sent on taking office.</summary>
    public List<RaftMessage> BecomeLeader()
    {
        Node.Campaign();
        var requests = new Queue<RequestVote>(Drain().OfType<RequestVote>());
        while (requests.TryDequeue(out var request))
        {
            var sent = Step(new RequestVoteResponse(request.To, request.From, request.Term, request.PreVote, Granted: true));
            if (Node.Role == Role.Leader) return sent;
            foreach (var next in sent.OfType<RequestVote>()) requests.Enqueue(next); // pre-vote won: the real election
        }
        throw new Xunit.Sdk.XunitException($"{Id} did not become leader with every vote granted (it is {Node.Role})");
    }

    /// <summary>Becomes leader and has every follower acknowledge the no-op, so all of them are in
    /// Replicate state and the no-op is committed.</summary>
    public void BecomeLeaderWithAllFollowersCaughtUp()
    {
        var appends = BecomeLeader().OfType<AppendEntries>().ToList();
        Assert.Equal(Node.Config.Voters.Count - 1, appends.Count);
        StepAll(appends.Select(PaperKit.Ack));
        Assert.Equal(Node.LastLogIndex, Node.CommitIndex);
    }

    private void Persist(Ready ready)
    {
        if (ready.Entries.Count > 0)
        {
            var first = ready.Entries[0].Index;
            Assert.True(first <= _log.Count + 1, $"{Id}: entries from {first} leave a gap after {_log.Count}");
            _log.RemoveRange((int)first - 1, _log.Count - (int)first + 1);
            _log.AddRange(ready.Entries);
        }
        if (ready.HardState is { } hard) Hard = hard;
    }

    private void AssertPromiseIsDurable(RaftMessage message)
    {
        switch (message)
        {
            case RequestVoteResponse { Granted: true, PreVote: false } grant:
                Assert.True(Hard.Term == grant.Term && Hard.VotedFor == grant.To,
                    $"{Id} granted {grant.To} its vote in term {grant.Term} but persisted {Hard}");
                break;
            case RequestVote { PreVote: false } request when request.From == Id:
                Assert.True(Hard.Term == request.Term && Hard.VotedFor == Id,
                    $"{Id} asked for votes in term {request.Term} but persisted {Hard}");
                break;
            case AppendEntriesResponse { Success: true } ack:
                Assert.True(_log.Count >= ack.MatchIndex && Hard.Term == ack.Term,
                    $"{Id} acknowledged up to {ack.MatchIndex} in term {ack.Term} with {_log.Count} entries and {Hard} persisted");
                break;
        }
    }
}
