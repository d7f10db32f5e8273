using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RaftOrleans.Contracts;

namespace RaftOrleans.Hosting.Client;

/// <summary>One row of `raftctl status`: what a node said about itself, or why it did not answer.</summary>
public sealed record NodeStatusRow(string Node, NodeStatus? Status, string? Error)
{
    public bool Reachable => Status is not null;
}

/// <summary>Asks every node for its status at once, each call with its own time limit, so a dead or frozen
/// node costs its own row the limit and never stalls the others.</summary>
public static class NodeStatusReader
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);

    /// <summary>Each node through a client of its own whose only gateway is the node's own silo: a row says
    /// exactly whether silo nX answers. (One shared client would route a healthy node's call through
    /// whichever gateway Orleans picks for that grain, possibly a frozen silo that still accepts TCP.)
    /// Reaching the node's gateway and the call each have <paramref name="timeout"/>; how long a client
    /// may take to start is paced by the other nodes (see <see cref="ConnectPace"/>).</summary>
    public static async Task<IReadOnlyList<NodeStatusRow>> ReadAsync(ClusterEndpoints cluster, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var pace = new ConnectPace();
        // Task.Run: a loopback connect completes synchronously, and building a client host is slow, CPU-bound
        // work; called inline, the nodes would be set up one after another and the last one judged on the
        // others' pace while it had not even begun.
        var rows = cluster.Nodes
            .Select(node => Task.Run(() => ReadThroughOwnGatewayAsync(cluster, node, pace, timeout, cancellationToken), cancellationToken))
            .ToArray();
        return await Task.WhenAll(rows);
    }

    private static async Task<NodeStatusRow> ReadThroughOwnGatewayAsync(ClusterEndpoints cluster, NodeEndpoint node, ConnectPace pace,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var settings = new ClusterClientSettings
        {
            ClusterId = cluster.ClusterId,
            ServiceId = cluster.ServiceId,
            Gateways = [node.Gateway],
            ConnectTimeout = cluster.ConnectTimeout,
            OpenConnectionTimeout = timeout,
            ResponseTimeout = timeout,
        };
        // A silo that is not running refuses TCP at once, while an Orleans client would retry it until its
        // connect limit: ask the socket first. (A frozen silo still accepts TCP: the kernel completes the
        // handshake for a stopped process. The pace below catches it.)
        if (await TcpRefusalAsync(node.Gateway, timeout, cancellationToken) is { } refusal)
        {
            return new NodeStatusRow(node.Node, null, refusal);
        }

        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var connecting = ClusterClientFactory.ConnectAsync(settings, abandon.Token);
        var paceRunsOut = pace.GraceAfterFirstConnectAsync(timeout, abandon.Token);
        if (await Task.WhenAny(connecting, paceRunsOut) != connecting)
        {
            abandon.Cancel();
            StopWhenDone(connecting);
            return new NodeStatusRow(node.Node, null,
                $"gateway {node.Gateway} accepts connections but Orleans did not answer within {timeout.TotalMilliseconds:0} ms of the other nodes (frozen?)");
        }

        ConnectedClusterClient client;
        try
        {
            client = await connecting;
        }
        catch (ClusterUnreachableException)
        {
            return new NodeStatusRow(node.Node, null, $"gateway {node.Gateway} accepts connections but Orleans did not answer within {cluster.ConnectTimeout.TotalSeconds:0.#} s");
        }
        finally
        {
            abandon.Cancel();
        }

        pace.Connected();
        try
        {
            return await ReadOneAsync(client.Client, node.Node, timeout, cancellationToken);
        }
        finally
        {
            // Not awaited: stopping a client can take its whole stop limit when the silo froze meanwhile,
            // and the answer is already here.
            _ = client.DisposeAsync().AsTask();
        }
    }

    /// <summary>Stops an abandoned connect's client if it ever connects, and observes its failure otherwise.</summary>
    private static void StopWhenDone(Task<ConnectedClusterClient> connecting) =>
        _ = connecting.ContinueWith(
            done => done.IsCompletedSuccessfully ? done.Result.DisposeAsync().AsTask() : Task.FromResult(done.Exception),
            TaskScheduler.Default);

    /// <summary>
    /// Starting an Orleans client costs seconds on a cold, busy machine (host build, JIT), and the same for
    /// every node's client, since they start together in one process. So an absolute limit on the connect
    /// must be generous, and a frozen silo would cost it in full. Instead, the first client to connect shows
    /// what starting costs here and now; a node that still has not answered its handshake
    /// <c>grace</c> later is frozen, not slow. When no node connects at all (every silo frozen), the
    /// cluster's connect limit still ends the wait.
    /// </summary>
    private sealed class ConnectPace
    {
        private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Connected() => _firstConnect.TrySetResult();

        public async Task GraceAfterFirstConnectAsync(TimeSpan grace, CancellationToken cancellationToken)
        {
            await _firstConnect.Task.WaitAsync(cancellationToken);
            await Task.Delay(grace, cancellationToken);
        }
    }

    /// <summary>Null when something listens on the gateway port, else why not.</summary>
    public static async Task<string?> TcpRefusalAsync(IPEndPoint gateway, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var socket = new Socket(gateway.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(gateway, limit.Token);
            return null;
        }
        catch (SocketException e)
        {
            return $"gateway {gateway}: {e.SocketErrorCode} (silo not running?)";
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return $"gateway {gateway}: no TCP connection within {timeout.TotalMilliseconds:0} ms";
        }
    }

    /// <summary>With a client the caller already has (the console's session, a test).</summary>
    public static async Task<IReadOnlyList<NodeStatusRow>> ReadAsync(IClusterClient client, IReadOnlyList<string> nodes, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var rows = nodes.Select(node => ReadOneAsync(client, node, timeout, cancellationToken));
        return await Task.WhenAll(rows);
    }

    private static async Task<NodeStatusRow> ReadOneAsync(IClusterClient client, string node, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var grain = client.GetGrain<IRaftNodeGrain>(node);
        var lastError = $"no answer within {timeout.TotalMilliseconds:0} ms";
        while (clock.Elapsed < timeout)
        {
            try
            {
                var status = await grain.GetStatus().WaitAsync(timeout - clock.Elapsed, cancellationToken);
                return new NodeStatusRow(node, status, null);
            }
            catch (TimeoutException)
            {
                lastError = $"no answer within {timeout.TotalMilliseconds:0} ms";
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                // Refused connection, rejected message, node not placeable (its silo is gone): quick
                // failures, worth another try through another gateway while the limit lasts.
                lastError = $"{e.GetType().Name}: {e.Message.Split('\n')[0].Trim()}";
                var pause = RetryPause < timeout - clock.Elapsed ? RetryPause : timeout - clock.Elapsed;
                if (pause > TimeSpan.Zero)
                {
                    await Task.Delay(pause, cancellationToken);
                }
            }
        }

        return new NodeStatusRow(node, null, lastError);
    }
}
