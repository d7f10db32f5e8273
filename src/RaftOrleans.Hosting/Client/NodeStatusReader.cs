using System.Diagnostics;
using RaftOrleans.Contracts;

namespace RaftOrleans.Hosting.Client;

/// <summary>One row of `raftctl status`: what a node said about itself, or why it did not answer.</summary>
public sealed record NodeStatusRow(string Node, NodeStatus? Status, string? Error)
{
    public bool Reachable => Status is not null;
}

/// <summary>Asks every node for its status at once, each call with its own time limit, so a dead or frozen
/// node costs its own row the limit and never stalls the others.
///
/// One client serves all nodes. Its gateway for a node's call is chosen by Orleans (by grain hash), and a
/// frozen silo's gateway still accepts TCP: such a call fails once the connection handshake times out
/// (<see cref="ClusterClientSettings.OpenConnectionTimeout"/>), Orleans marks that gateway dead, and the
/// call is retried through another gateway while the node's limit lasts.</summary>
public static class NodeStatusReader
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(1500);
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);

    /// <summary>Connects a client for the occasion; when no gateway answers within the cluster's connect
    /// limit every row is unreachable with that reason.</summary>
    public static async Task<IReadOnlyList<NodeStatusRow>> ReadAsync(ClusterEndpoints cluster, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ConnectedClusterClient client;
        try
        {
            client = await ClusterClientFactory.ConnectAsync(cluster.ClientSettings(), cancellationToken);
        }
        catch (ClusterUnreachableException e)
        {
            return cluster.Nodes.Select(node => new NodeStatusRow(node.Node, null, e.Message)).ToArray();
        }

        try
        {
            return await ReadAsync(client.Client, cluster.Nodes.Select(node => node.Node).ToArray(), timeout, cancellationToken);
        }
        finally
        {
            // Not awaited: stopping a client that still has a connection to a frozen silo can take its
            // whole stop limit, and the answer is already here.
            _ = client.DisposeAsync().AsTask();
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
