using RaftOrleans.Client.Connections;
using RaftOrleans.Contracts;
using RaftOrleans.KeyValue;
using RaftOrleans.KeyValue.Encoding;

namespace RaftOrleans.Client;

/// <summary>
/// Reaches each node through an Orleans client of its own whose only gateway is that node's silo. One shared
/// client would send a grain call through whichever gateway Orleans picks for the grain, possibly a frozen
/// silo that still accepts TCP, and then a healthy node's calls would hang with it. Here a dead or frozen
/// silo only ever costs the calls to its own node. Thread-safe; share one channel among many clients.
/// </summary>
public sealed class OrleansNodeChannel : IRaftNodeChannel, IAsyncDisposable
{
    private readonly object _gate = new();
    private readonly ClusterEndpoints _cluster;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, NodeConnection> _connections = new();
    private readonly NodeConnects _connects;
    private volatile string[] _nodes;

    /// <summary>With <see cref="NodeConnects.AllAtOnce"/>, starts connecting to every node in the background (a
    /// long-running client: every node is ready when the leader moves); with <see cref="NodeConnects.OnFirstCall"/>
    /// a node is connected only when a call first goes to it (a one-shot command: one Orleans client for the
    /// leader instead of one per node, each of which costs a process that has just started a good part of a
    /// core-second). Either way a call waits for its node's first connect only within its own time limit.</summary>
    public OrleansNodeChannel(ClusterEndpoints cluster, NodeConnects connects = NodeConnects.AllAtOnce)
    {
        _cluster = cluster;
        _connects = connects;
        _nodes = cluster.Nodes.Select(node => node.Node).ToArray();
        foreach (var node in cluster.Nodes) _connections[node.Node] = new NodeConnection(cluster, node, connects);
    }

    public IReadOnlyList<string> Nodes => _nodes;

    /// <summary>Reaches the nodes of <paramref name="endpoints"/> that it does not reach yet (a node the
    /// launcher added to the cluster since this channel was made); the others are left as they are.
    /// Returns the nodes added.</summary>
    public IReadOnlyList<string> AddNodes(IEnumerable<NodeEndpoint> endpoints)
    {
        var added = new List<string>();
        lock (_gate)
        {
            foreach (var endpoint in endpoints)
            {
                if (_connections.ContainsKey(endpoint.Node)) continue;
                _connections[endpoint.Node] = new NodeConnection(_cluster, endpoint, _connects);
                added.Add(endpoint.Node);
            }
            if (added.Count > 0) _nodes = [.. _nodes, .. added];
        }
        return added;
    }

    public Task<ClientReply> ProposeAsync(string node, byte[] command, CancellationToken cancellationToken) =>
        CallAsync(node, grain => grain.Propose(command), cancellationToken);

    public Task<ClientReply> ReadAsync(string node, KvOperation query, bool allowStale, CancellationToken cancellationToken) =>
        CallAsync(node, grain => grain.Read(KvCommandCodec.EncodeOperation(query), allowStale), cancellationToken);

    public Task<ClientReply> ReadLeasedAsync(string node, KvOperation query, CancellationToken cancellationToken) =>
        CallAsync(node, grain => grain.ReadLeased(KvCommandCodec.EncodeOperation(query)), cancellationToken);

    public Task<NodeStatus> GetStatusAsync(string node, CancellationToken cancellationToken) =>
        CallAsync(node, grain => grain.GetStatus(), cancellationToken);

    /// <summary>One call, ended early when the connection to the node's silo breaks: Orleans would keep it
    /// waiting for its response timeout, which after a leader's silo is killed means seconds of no writes
    /// for a client that could already be talking to the new leader.</summary>
    public async Task<T> CallAsync<T>(string node, Func<IRaftNodeGrain, Task<T>> call, CancellationToken cancellationToken)
    {
        var (grain, connectionLost) = await Connection(node).GrainAsync(cancellationToken);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, connectionLost);
        try
        {
            return await call(grain).WaitAsync(either.Token);
        }
        catch (OperationCanceledException) when (connectionLost.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new NodeConnectionLostException(node);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_connections.Values.Select(connection => connection.DisposeAsync().AsTask()));
    }

    private NodeConnection Connection(string node) =>
        _connections.TryGetValue(node, out var connection)
            ? connection
            : throw new ArgumentException($"no node '{node}' in this cluster", nameof(node));

    /// <summary>The client of one node's silo. A failed connect is retried in the background on the next call;
    /// until it succeeds, calls fail at once with <see cref="NodeUnreachableException"/> (they never waited
    /// on a dead silo's connect limit after the first time).</summary>
    private sealed class NodeConnection : IAsyncDisposable
    {
        private readonly object _gate = new();
        private readonly ClusterEndpoints _cluster;
        private readonly NodeEndpoint _node;
        /// <summary>Null until the first call with <see cref="NodeConnects.OnFirstCall"/>.</summary>
        private Task<ConnectedClusterClient>? _connecting;
        private bool _firstConnect = true;
        /// <summary>Why the latest connect that ended failed at the TCP probe; null once one got past it.</summary>
        private volatile TcpRefusal? _lastRefusal;
        private bool _disposed;

        public NodeConnection(ClusterEndpoints cluster, NodeEndpoint node, NodeConnects connects)
        {
            _cluster = cluster;
            _node = node;
            if (connects == NodeConnects.AllAtOnce) _connecting = ConnectAsync();
        }

        /// <summary>The node's grain and a token that fires when the client loses its silo; a client that lost
        /// it is replaced (in the background) by a fresh connect.</summary>
        public async Task<(IRaftNodeGrain Grain, CancellationToken ConnectionLost)> GrainAsync(CancellationToken cancellationToken)
        {
            Task<ConnectedClusterClient> connecting;
            bool first;
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _connecting ??= ConnectAsync();
                if (_connecting.IsFaulted || _connecting.IsCanceled || LostItsSilo(_connecting))
                {
                    if (LostItsSilo(_connecting))
                    {
                        _ = _connecting.Result.DisposeAsync().AsTask();
                    }
                    _firstConnect = false;
                    _connecting = ConnectAsync();
                }
                connecting = _connecting;
                first = _firstConnect;
            }

            if (!connecting.IsCompleted && !first)
            {
                // While the reconnect runs, what the last connect found still stands (for a client that gives
                // up when no node is running: a silo that refused stays "not running" until it answers).
                throw _lastRefusal is { } last
                    ? Refused(last)
                    : new NodeUnreachableException(_node.Node, "reconnecting to its silo");
            }
            try
            {
                var client = await connecting.WaitAsync(cancellationToken);
                return (client.Client.GetGrain<IRaftNodeGrain>(_node.Node), client.AllGatewaysLost);
            }
            catch (OperationCanceledException) when (!connecting.IsCompleted)
            {
                throw new NodeUnreachableException(_node.Node, $"its silo {_node.Gateway} has not answered the connect yet");
            }
            catch (GatewayRefusedException e)
            {
                throw Refused(e.Refusal, e);
            }
            catch (ClusterUnreachableException e)
            {
                throw new NodeUnreachableException(_node.Node, e.Message, e);
            }
        }

        private NodeUnreachableException Refused(TcpRefusal refusal, Exception? inner = null) =>
            refusal.NothingListening
                ? new NodeUnreachableException(_node.Node, $"nothing listens at its gateway {_node.Gateway}", inner, nothingListening: true)
                : new NodeUnreachableException(_node.Node, refusal.Reason, inner);

        private static bool LostItsSilo(Task<ConnectedClusterClient> connecting) =>
            connecting.IsCompletedSuccessfully && connecting.Result.AllGatewaysLost.IsCancellationRequested;

        public async ValueTask DisposeAsync()
        {
            Task<ConnectedClusterClient>? connecting;
            lock (_gate)
            {
                _disposed = true;
                connecting = _connecting;
            }
            if (connecting is null) return; // never called, never connected
            if (!connecting.IsCompleted)
            {
                // A connect to a dead or frozen silo can run for its whole limit; the caller must not wait
                // for it (a console command would otherwise exit seconds after printing its answer).
                _ = connecting.ContinueWith(done => done.Result.DisposeAsync(), TaskContinuationOptions.OnlyOnRanToCompletion);
                return;
            }
            try
            {
                await (await connecting).DisposeAsync();
            }
            catch (Exception)
            {
                // It never connected: nothing to stop.
            }
        }

        private Task<ConnectedClusterClient> ConnectAsync()
        {
            var settings = new ClusterClientSettings
            {
                ClusterId = _cluster.ClusterId,
                ServiceId = _cluster.ServiceId,
                Gateways = [_node.Gateway],
                ConnectTimeout = _cluster.ConnectTimeout,
                ResponseTimeout = TimeSpan.FromSeconds(5),
                OpenConnectionTimeout = TimeSpan.FromSeconds(1),
            };
            return Task.Run(async () =>
            {
                // A killed silo refuses TCP at once: say so now rather than after the connect limit.
                var refusal = await NodeStatusReader.TcpProbeAsync(_node.Gateway, TimeSpan.FromSeconds(1), CancellationToken.None);
                _lastRefusal = refusal;
                if (refusal is not null) throw new GatewayRefusedException(refusal);
                return await ClusterClientFactory.ConnectAsync(settings);
            });
        }

        /// <summary>The TCP probe before a connect failed: nothing to hand to Orleans.</summary>
        private sealed class GatewayRefusedException(TcpRefusal refusal) : Exception(refusal.Reason)
        {
            public TcpRefusal Refusal { get; } = refusal;
        }
    }
}

/// <summary>When <see cref="OrleansNodeChannel"/> connects to each node.</summary>
public enum NodeConnects
{
    /// <summary>Every node at once, in the background, as the channel is made.</summary>
    AllAtOnce,

    /// <summary>A node when the first call goes to it.</summary>
    OnFirstCall,
}
