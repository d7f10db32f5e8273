using System.Collections.Concurrent;
using RaftOrleans.Contracts;
using RaftOrleans.KeyValue;
using RaftOrleans.KeyValue.Encoding;

namespace RaftOrleans.Client.Tests;

/// <summary>How a simulated node treats a call.</summary>
public enum NodeBehaviour
{
    /// <summary>Applies the command to the cluster's state machine and answers.</summary>
    Leader,
    /// <summary>Answers NotLeader with the cluster's <see cref="SimulatedCluster.Hint"/>.</summary>
    Follower,
    /// <summary>Never answers and ignores the caller's token (a SIGSTOPped silo).</summary>
    Frozen,
    /// <summary>Fails at once: the call never reached it.</summary>
    Unreachable,
    /// <summary>Fails at once because nothing listens at its gateway (its silo is not running).</summary>
    NotRunning,
    /// <summary>Applies the command at once but answers only after <see cref="SimulatedCluster.LateAnswer"/>,
    /// ignoring the caller's token: a new leader that accepts a proposal and commits it after the client's
    /// deadline.</summary>
    LateLeader,
    /// <summary>Answers NotLeader, but only after blocking its caller for <see cref="SimulatedCluster.LateAnswer"/>
    /// (the answer is ready when the call returns, whatever the caller's token says).</summary>
    SlowFollower,
}

/// <summary>
/// A cluster behind <see cref="IRaftNodeChannel"/> with one real <see cref="KvStateMachine"/> standing for the
/// replicated log: what the leader applies is what the cluster holds. Faults are scripted per node, and the
/// answer of an applied command can be lost, as when a leader dies after committing.
/// </summary>
public sealed class SimulatedCluster(KvOptions? options = null) : IRaftNodeChannel
{
    private readonly object _gate = new();
    private readonly KvStateMachine _stateMachine = new(options);
    private readonly ConcurrentDictionary<string, NodeBehaviour> _behaviour = new();
    private long _index;
    private int _repliesToLose;

    private volatile string[] _nodes = ["n1", "n2", "n3"];

    public IReadOnlyList<string> Nodes => _nodes;

    /// <summary>A node joins the channel (as `raftctl load` adds a node the launcher started meanwhile).</summary>
    public void AddNode(string node) => _nodes = [.. _nodes, node];

    /// <summary>What followers name as leader (null: they know none).</summary>
    public string? Hint { get; set; }

    /// <summary>The leader's clock, stamped on every command (session expiry runs on it).</summary>
    public long ClockMs { get; set; } = 1;

    /// <summary>How long a <see cref="NodeBehaviour.LateLeader"/> takes to answer.</summary>
    public TimeSpan LateAnswer { get; set; } = TimeSpan.FromSeconds(5);

    public ConcurrentQueue<string> Calls { get; } = new();

    public int AppliedCommands { get; private set; }

    public long Revision
    {
        get
        {
            lock (_gate)
            {
                return _stateMachine.Revision;
            }
        }
    }

    public void Set(string node, NodeBehaviour behaviour) => _behaviour[node] = behaviour;

    /// <summary>Makes <paramref name="node"/> the leader and every other node a follower naming it.</summary>
    public void Elect(string node)
    {
        foreach (var other in Nodes)
        {
            Set(other, other == node ? NodeBehaviour.Leader : NodeBehaviour.Follower);
        }
        Hint = node;
    }

    /// <summary>Moves the leader's clock on by <paramref name="ms"/> through entries (other clients' reads) no
    /// further apart than the state machine's clock step limit, so its clock keeps up.</summary>
    public void PassTime(long ms)
    {
        lock (_gate)
        {
            var target = ClockMs + ms;
            while (ClockMs < target)
            {
                ClockMs = Math.Min(target, ClockMs + _stateMachine.Options.ClockStepLimitMs);
                _stateMachine.Apply(++_index, ClockMs, KvCommand.Unsessioned(new GetOperation("clock-tick")));
            }
        }
    }

    /// <summary>The next <paramref name="count"/> commands apply, but their caller gets a timeout instead.</summary>
    public void LoseReplies(int count) => Interlocked.Exchange(ref _repliesToLose, count);

    /// <summary>Runs as a reply is lost (e.g. to stop every silo right after a commit whose answer never came).</summary>
    public Action? WhenAReplyIsLost { get; set; }

    public Task<ClientReply> ProposeAsync(string node, byte[] command, CancellationToken cancellationToken) =>
        Serve(node, cancellationToken, () =>
        {
            return KvResultCodec.Encode(_stateMachine.Apply(++_index, ClockMs, command));
        });

    public Task<ClientReply> ReadAsync(string node, KvOperation query, bool allowStale, CancellationToken cancellationToken)
    {
        if (allowStale && Behaviour(node) == NodeBehaviour.Follower)
        {
            Calls.Enqueue($"{node} read");
            lock (_gate)
            {
                return Task.FromResult(new ClientReply(ClientReplyStatus.Applied, _index, 1, KvResultCodec.Encode(_stateMachine.Query(query)), null));
            }
        }
        return Serve(node, cancellationToken, () => KvResultCodec.Encode(_stateMachine.Query(query)));
    }

    /// <summary>How long a node that answers status takes (a first connect to a loaded silo takes seconds).</summary>
    public TimeSpan StatusDelay { get; set; } = TimeSpan.Zero;

    public async Task<NodeStatus> GetStatusAsync(string node, CancellationToken cancellationToken)
    {
        var behaviour = Behaviour(node);
        if (behaviour == NodeBehaviour.Frozen) return await new TaskCompletionSource<NodeStatus>().Task;
        if (behaviour == NodeBehaviour.Unreachable) throw new NodeUnreachableException(node, "connection refused");
        if (behaviour == NodeBehaviour.NotRunning) throw NotRunning(node);
        if (StatusDelay > TimeSpan.Zero) await Task.Delay(StatusDelay, cancellationToken);
        return new NodeStatus(node, node, IsLeader(behaviour) ? NodeRole.Leader : NodeRole.Follower, 1,
            IsLeader(behaviour) ? node : Hint, _index, _index, _index, 0);
    }

    private static bool IsLeader(NodeBehaviour behaviour) => behaviour is NodeBehaviour.Leader or NodeBehaviour.LateLeader;

    private NodeBehaviour Behaviour(string node) => _behaviour.GetValueOrDefault(node, NodeBehaviour.Follower);

    private Task<ClientReply> Serve(string node, CancellationToken cancellationToken, Func<byte[]> apply)
    {
        Calls.Enqueue(node);
        var behaviour = Behaviour(node);
        switch (behaviour)
        {
            case NodeBehaviour.Frozen:
                // Ignores the token on purpose: the client must bound the wait itself.
                return new TaskCompletionSource<ClientReply>().Task;
            case NodeBehaviour.Unreachable:
                return Task.FromException<ClientReply>(new NodeUnreachableException(node, "connection refused"));
            case NodeBehaviour.NotRunning:
                return Task.FromException<ClientReply>(NotRunning(node));
            case NodeBehaviour.Follower:
                return Task.FromResult(new ClientReply(ClientReplyStatus.NotLeader, 0, 1, null, Hint));
            case NodeBehaviour.SlowFollower:
                Thread.Sleep(LateAnswer);
                return Task.FromResult(new ClientReply(ClientReplyStatus.NotLeader, 0, 1, null, Hint));
        }
        byte[] result;
        lock (_gate)
        {
            result = apply();
            AppliedCommands++;
        }
        if (Interlocked.Decrement(ref _repliesToLose) >= 0)
        {
            WhenAReplyIsLost?.Invoke();
            return Task.FromException<ClientReply>(new TimeoutException($"{node}: the answer was lost"));
        }
        var reply = new ClientReply(ClientReplyStatus.Applied, _index, 1, result, null);
        return behaviour == NodeBehaviour.LateLeader ? AnswerLate(reply) : Task.FromResult(reply);
    }

    private async Task<ClientReply> AnswerLate(ClientReply reply)
    {
        await Task.Delay(LateAnswer);
        return reply;
    }

    private static NodeUnreachableException NotRunning(string node) =>
        new(node, $"gateway of {node}: ConnectionRefused", nothingListening: true);
}
