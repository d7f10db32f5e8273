using RaftOrleans.Contracts;

namespace RaftOrleans.Client.Connections;

/// <summary>
/// Reads every node's status again and again (`status --watch`, the dashboard) over one Orleans client
/// per node, kept between readings: a reading costs a grain call, not a client start. Each node is read
/// through its own silo's gateway only, as <see cref="NodeStatusReader"/> does, so a row says exactly
/// whether silo nX answers. A client whose gateway closed (a killed silo) is dropped and a new one is
/// started once the port accepts connections again; a call that times out (a frozen silo) keeps the
/// client, which answers again when the silo resumes. Every wait is bounded by the poller's timeout:
/// a slow connect shows as a row "connecting" and goes on in the background.
/// </summary>
public sealed class NodeStatusPoller(ClusterEndpoints cluster, TimeSpan timeout) : IAsyncDisposable
{
    private readonly NodeChannel[] _channels = cluster.Nodes.Select(node => new NodeChannel(cluster, node, timeout)).ToArray();

    public string ClusterId => cluster.ClusterId;

    public IReadOnlyList<string> Nodes => cluster.Nodes.Select(node => node.Node).ToArray();

    /// <summary>One row per node, in the cluster's order, within about the timeout whatever the nodes do.</summary>
    public async Task<IReadOnlyList<NodeStatusRow>> PollAsync(CancellationToken cancellationToken = default) =>
        await Task.WhenAll(_channels.Select(channel => Task.Run(() => channel.ReadAsync(cancellationToken), cancellationToken)));

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            await channel.DisposeAsync();
        }
    }

    private sealed class NodeChannel(ClusterEndpoints cluster, NodeEndpoint node, TimeSpan timeout) : IAsyncDisposable
    {
        private Task<ConnectedClusterClient>? _connecting;
        private ConnectedClusterClient? _client;

        public async Task<NodeStatusRow> ReadAsync(CancellationToken cancellationToken)
        {
            if (_client is null && await ConnectAsync(cancellationToken) is { } notConnected)
            {
                return new NodeStatusRow(node.Node, null, notConnected);
            }

            var client = _client!;
            using var lost = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, client.AllGatewaysLost);
            try
            {
                var status = await client.Client.GetGrain<IRaftNodeGrain>(node.Node).GetStatus().WaitAsync(timeout, lost.Token);
                return new NodeStatusRow(node.Node, status, null);
            }
            catch (TimeoutException)
            {
                return new NodeStatusRow(node.Node, null, $"no answer within {timeout.TotalMilliseconds:0} ms (frozen or overloaded?)");
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // The connection is gone (or the node cannot be placed: its silo is leaving): start afresh next time.
                Drop();
                var reason = client.AllGatewaysLost.IsCancellationRequested ? "connection to its silo lost" : $"{e.GetType().Name}: {e.Message.Split('\n')[0].Trim()}";
                return new NodeStatusRow(node.Node, null, reason);
            }
        }

        /// <summary>Null once connected, else why there is no client yet.</summary>
        private async Task<string?> ConnectAsync(CancellationToken cancellationToken)
        {
            if (_connecting is null)
            {
                // A silo that is not running refuses TCP at once; an Orleans client would retry it for seconds.
                if (await NodeStatusReader.TcpRefusalAsync(node.Gateway, timeout, cancellationToken) is { } refusal)
                {
                    return refusal;
                }

                var settings = NodeStatusReader.OwnGatewaySettings(cluster, node, timeout);
                _connecting = ClusterClientFactory.ConnectAsync(settings, CancellationToken.None);
            }

            try
            {
                _client = await _connecting.WaitAsync(timeout, cancellationToken);
                _connecting = null;
                return null;
            }
            catch (TimeoutException)
            {
                return $"connecting to gateway {node.Gateway} (no Orleans handshake yet)";
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                _connecting = null;
                return e.Message.Split('\n')[0].Trim();
            }
        }

        private void Drop()
        {
            if (_client is { } client)
            {
                _client = null;
                _ = client.DisposeAsync().AsTask();
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_client is { } client)
            {
                _client = null;
                await client.DisposeAsync();
            }

            if (_connecting is { } connecting)
            {
                _connecting = null;
                _ = connecting.ContinueWith(done => done.IsCompletedSuccessfully ? done.Result.DisposeAsync().AsTask() : Task.CompletedTask,
                    TaskScheduler.Default);
            }
        }
    }
}
