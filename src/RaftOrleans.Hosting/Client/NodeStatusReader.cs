using System.Diagnostics;
using RaftOrleans.Contracts;

namespace RaftOrleans.Hosting.Client;

/// <summary>One row of `raftctl status`: what a node said about itself, or why it did not answer.</summary>
public sealed record NodeStatusRow(string Node, NodeStatus? Status, string? Error)
{
    public bool Reachable => Status is not null;
}

/// <summary>Asks every node for its status at once, each through its own silo's gateway with its own
/// client and time limit. A dead or frozen node costs its own row the limit and nothing more: it cannot
/// stall the rows of healthy nodes (as one shared client could, when it routes a healthy node's call
/// through the frozen silo's gateway).</summary>
public static class NodeStatusReader
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMilliseconds(1500);

    public static async Task<IReadOnlyList<NodeStatusRow>> ReadAsync(ClusterEndpoints cluster, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var rows = cluster.Nodes.Select(node => ReadOneAsync(cluster, node, timeout, cancellationToken));
        return await Task.WhenAll(rows);
    }

    private static async Task<NodeStatusRow> ReadOneAsync(ClusterEndpoints cluster, NodeEndpoint node, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        ConnectedClusterClient? client = null;
        try
        {
            client = await ClusterClientFactory.ConnectAsync(cluster.ClientSettingsFor(node, timeout), cancellationToken);
            var remaining = timeout - clock.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                return new NodeStatusRow(node.Node, null, $"no answer within {timeout.TotalMilliseconds:0} ms");
            }

            var status = await client.Client.GetGrain<IRaftNodeGrain>(node.Node).GetStatus().WaitAsync(remaining, cancellationToken);
            return new NodeStatusRow(node.Node, status, null);
        }
        catch (ClusterUnreachableException)
        {
            return new NodeStatusRow(node.Node, null, $"silo gateway {node.Gateway} did not answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (TimeoutException)
        {
            return new NodeStatusRow(node.Node, null, $"no answer within {timeout.TotalMilliseconds:0} ms");
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            return new NodeStatusRow(node.Node, null, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
        }
        finally
        {
            if (client is not null)
            {
                // Not awaited: stopping a client whose silo froze can take its whole stop limit.
                _ = client.DisposeAsync().AsTask();
            }
        }
    }
}
