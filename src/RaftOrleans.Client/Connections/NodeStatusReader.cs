using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RaftOrleans.Contracts;

namespace RaftOrleans.Client.Connections;

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

    /// <summary>How long an open gateway connection may go without Orleans' handshake before the node counts as
    /// frozen (see <see cref="ConnectPace"/>): half the per-node limit, so 750 ms by default.</summary>
    private static TimeSpan QuietPeriod(TimeSpan timeout) => timeout / 2;

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
        var settings = OwnGatewaySettings(cluster, node, timeout);
        // A silo that is not running refuses TCP at once, while an Orleans client would retry it until its
        // connect limit: ask the socket first. (A frozen silo still accepts TCP: the kernel completes the
        // handshake for a stopped process. The pace below catches it.)
        if (await TcpRefusalAsync(node.Gateway, timeout, cancellationToken) is { } refusal)
        {
            return new NodeStatusRow(node.Node, null, refusal);
        }

        using var abandon = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var socketOpen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var connecting = ClusterClientFactory.ConnectAsync(settings, abandon.Token, onGatewaySocketOpen: () => socketOpen.TrySetResult());
        var paceRunsOut = pace.HandshakeOverdueAsync(socketOpen.Task, QuietPeriod(timeout), abandon.Token);
        if (await Task.WhenAny(connecting, paceRunsOut) != connecting)
        {
            abandon.Cancel();
            StopWhenDone(connecting);
            return new NodeStatusRow(node.Node, null,
                $"gateway {node.Gateway} accepts connections but did not answer Orleans' handshake within {QuietPeriod(timeout).TotalMilliseconds:0} ms, while the other nodes did (frozen?)");
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
            var row = await ReadOneAsync(client.Client, node.Node, timeout, cancellationToken);
            pace.Progressed();
            return row;
        }
        finally
        {
            // Not awaited: stopping a client can take its whole stop limit when the silo froze meanwhile,
            // and the answer is already here.
            _ = client.DisposeAsync().AsTask();
        }
    }

    /// <summary>A client of <paramref name="node"/>'s own silo only, each wait within <paramref name="timeout"/>
    /// but the connect (the cluster's connect limit).</summary>
    internal static ClusterClientSettings OwnGatewaySettings(ClusterEndpoints cluster, NodeEndpoint node, TimeSpan timeout) => new()
    {
        ClusterId = cluster.ClusterId,
        ServiceId = cluster.ServiceId,
        Gateways = [node.Gateway],
        ConnectTimeout = cluster.ConnectTimeout,
        OpenConnectionTimeout = timeout,
        ResponseTimeout = timeout,
    };

    /// <summary>Stops an abandoned connect's client if it ever connects, and observes its failure otherwise.</summary>
    private static void StopWhenDone(Task<ConnectedClusterClient> connecting) =>
        _ = connecting.ContinueWith(
            done => done.IsCompletedSuccessfully ? done.Result.DisposeAsync().AsTask() : Task.FromResult(done.Exception),
            TaskScheduler.Default);

    /// <summary>
    /// Starting an Orleans client costs seconds on a cold, busy machine (host build, JIT), so an absolute limit
    /// on a connect must be generous, and a frozen silo would cost it in full. What tells frozen from slow is
    /// the handshake: a frozen silo accepts TCP (the kernel completes the connection for a stopped process)
    /// and never answers Orleans' handshake on it, while a running one answers within moments, on a loaded
    /// machine too, as the other nodes show. So a node counts as frozen once its client has the socket open
    /// (this process has done its own slow part) and <c>quiet</c> has passed since then with no answer, and
    /// with no other node connecting or answering meanwhile (which would show this process or this machine
    /// still busy). Until some other node has connected there is no such evidence, and the cluster's connect
    /// limit ends the wait (every silo frozen).
    /// </summary>
    private sealed class ConnectPace
    {
        private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _lastProgress = Stopwatch.GetTimestamp();

        /// <summary>A node connected or answered.</summary>
        public void Progressed() => Interlocked.Exchange(ref _lastProgress, Stopwatch.GetTimestamp());

        public void Connected()
        {
            Progressed();
            _firstConnect.TrySetResult();
        }

        /// <summary>Completes when the handshake on <paramref name="socketOpen"/>'s connection is overdue.</summary>
        public async Task HandshakeOverdueAsync(Task socketOpen, TimeSpan quiet, CancellationToken cancellationToken)
        {
            await Task.WhenAll(socketOpen, _firstConnect.Task).WaitAsync(cancellationToken);
            var opened = Stopwatch.GetTimestamp();
            for (var waited = TimeSpan.Zero; waited < quiet;
                 waited = Stopwatch.GetElapsedTime(Math.Max(opened, Interlocked.Read(ref _lastProgress))))
            {
                await Task.Delay(quiet - waited, cancellationToken);
            }
        }
    }

    /// <summary>Null when something listens on the gateway port, else why not.</summary>
    public static async Task<string?> TcpRefusalAsync(IPEndPoint gateway, TimeSpan timeout, CancellationToken cancellationToken) =>
        (await TcpProbeAsync(gateway, timeout, cancellationToken))?.Reason;

    /// <summary>Null when something listens on the gateway port, else why not, and whether the port
    /// refused the connection outright (nothing listens: the silo is not running).</summary>
    public static async Task<TcpRefusal?> TcpProbeAsync(IPEndPoint gateway, TimeSpan timeout, CancellationToken cancellationToken)
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
            return new TcpRefusal($"gateway {gateway}: {e.SocketErrorCode} (silo not running?)",
                NothingListening: e.SocketErrorCode == SocketError.ConnectionRefused);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new TcpRefusal($"gateway {gateway}: no TCP connection within {timeout.TotalMilliseconds:0} ms", NothingListening: false);
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

/// <summary>Why a TCP connect to a gateway failed; <paramref name="NothingListening"/> when the port refused it
/// (no process listens there), as opposed to a connect that timed out or found no route.</summary>
public sealed record TcpRefusal(string Reason, bool NothingListening);
