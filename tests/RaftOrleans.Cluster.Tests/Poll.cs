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

    /// <summary>The negative counterpart of <see cref="UntilAsync{T}"/>, for outcomes that are an absence
    /// ("no leader is elected"): polls for the whole <paramref name="period"/> and fails at the first
    /// observation that breaks <paramref name="holds"/>, saying what it saw. Observations that fail count
    /// as nothing seen, not as a break.</summary>
    public static async Task HoldsAsync<T>(Func<Task<T>> observe, Func<T, bool> holds, TimeSpan period, string expected,
        Func<T, string>? describe = null)
    {
        var clock = Stopwatch.StartNew();
        var observations = 0;
        while (clock.Elapsed < period)
        {
            T seen;
            try
            {
                seen = await observe();
            }
            catch (Exception)
            {
                await Task.Delay(20);
                continue;
            }
            observations++;
            if (!holds(seen))
                Assert.Fail(
                    $"after {clock.Elapsed.TotalSeconds:0.##} s expected {expected} to hold for {period.TotalSeconds:0.#} s; " +
                    $"saw: {(describe is not null ? describe(seen) : seen?.ToString())}");
            await Task.Delay(20);
        }
        if (observations == 0) Assert.Fail($"no observation succeeded in {period.TotalSeconds:0.#} s while checking {expected}");
    }
}
