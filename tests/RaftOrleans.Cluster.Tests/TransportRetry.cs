namespace RaftOrleans.Cluster.Tests;

public static class TransportRetry
{
    /// <summary>The test client may still route through a gateway of a silo just killed; that is a transport
    /// failure before the node was reached, not an answer, so it is retried (the node's answers are what
    /// the test judges). Retried after a short pause, since the next attempt picks a live gateway and a scenario
    /// may be racing the node's own timeouts.</summary>
    public static async Task<T> ReachAsync<T>(Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (attempt < 100 && e is Orleans.Runtime.Messaging.ConnectionFailedException or OrleansMessageRejectionException)
            {
                await Task.Delay(50);
            }
        }
    }
}
