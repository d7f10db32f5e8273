using System.Diagnostics;

namespace RaftOrleans.Cluster.Tests;

/// <summary>Waits for a condition by polling it until a deadline, never by sleeping a fixed time. On
/// failure the message says what the last poll saw.</summary>
public static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T>> observe, Func<T, bool> done, TimeSpan deadline, string waitingFor,
        Func<T, string>? describe = null)
    {
        var clock = Stopwatch.StartNew();
        T last = default!;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await observe();
                lastError = null;
                if (done(last)) return last;
            }
            catch (Exception e)
            {
                lastError = e;
            }
            if (clock.Elapsed > deadline)
            {
                var seen = lastError is not null ? $"error {lastError.GetType().Name}: {lastError.Message}"
                    : describe is not null ? describe(last) : last?.ToString();
                throw new TimeoutException($"after {deadline.TotalSeconds:0.#} s still waiting for {waitingFor}; last seen: {seen}");
            }
            await Task.Delay(20);
        }
    }
}
