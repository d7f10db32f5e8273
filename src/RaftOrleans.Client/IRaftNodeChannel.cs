using RaftOrleans.Contracts;
using RaftOrleans.KeyValue;

namespace RaftOrleans.Client;

/// <summary>
/// How <see cref="RaftKvClient"/> reaches one node. The Orleans implementation is
/// <see cref="OrleansNodeChannel"/>; tests put a simulated cluster behind it. Every call honours
/// <paramref name="cancellationToken"/> as its time limit.
/// </summary>
public interface IRaftNodeChannel
{
    /// <summary>The node ids, in the configured order; a channel that follows the cluster's membership adds
    /// nodes while it is in use (read it again rather than keep it).</summary>
    IReadOnlyList<string> Nodes { get; }

    /// <summary><see cref="IRaftNodeGrain.Propose"/> on <paramref name="node"/>.
    /// Throws <see cref="NodeUnreachableException"/> when the call certainly never reached the node.</summary>
    Task<ClientReply> ProposeAsync(string node, byte[] command, CancellationToken cancellationToken);

    /// <summary>A read-only <paramref name="query"/> (get, list) on <paramref name="node"/>; linearizable
    /// unless <paramref name="allowStale"/>, which lets any node answer from what it has applied.</summary>
    Task<ClientReply> ReadAsync(string node, KvOperation query, bool allowStale, CancellationToken cancellationToken);

    /// <summary>A linearizable read the leader may serve from its lease (<see cref="IRaftNodeGrain.ReadLeased"/>);
    /// a channel without lease reads serves it as an ordinary linearizable read.</summary>
    Task<ClientReply> ReadLeasedAsync(string node, KvOperation query, CancellationToken cancellationToken) =>
        ReadAsync(node, query, allowStale: false, cancellationToken);

    /// <summary><see cref="IRaftNodeGrain.GetStatus"/> on <paramref name="node"/>.</summary>
    Task<NodeStatus> GetStatusAsync(string node, CancellationToken cancellationToken);
}

/// <summary>The call never reached the node (no connection to its silo): it certainly had no effect.</summary>
public sealed class NodeUnreachableException(string node, string reason, Exception? inner = null, bool nothingListening = false)
    : Exception($"node {node} unreachable: {reason}", inner)
{
    public string Node { get; } = node;

    public string Reason { get; } = reason;

    /// <summary>The node's gateway refused the connection: no process listens there, so its silo is not
    /// running (as opposed to a silo that is slow, frozen or behind a network that drops packets).</summary>
    public bool NothingListening { get; } = nothingListening;
}

/// <summary>The connection to the node's silo broke while the call was in flight (its silo was killed): the
/// request may or may not have arrived, so a write's outcome is unknown until a retry settles it.</summary>
public sealed class NodeConnectionLostException(string node)
    : Exception($"node {node}: the connection to its silo broke while the call was in flight")
{
    public string Node { get; } = node;
}
