namespace RaftOrleans.Client;

/// <summary>Exponential pauses with full jitter (a random pause up to the current bound), so that many
/// clients refused at the same moment do not come back at the same moment. Not thread-safe: one per call.</summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max, Random random)
{
    private TimeSpan _bound = initial;

    public TimeSpan Next()
    {
        var pause = TimeSpan.FromTicks((long)(_bound.Ticks * (0.5 + random.NextDouble() / 2)));
        _bound = _bound * 2 < max ? _bound * 2 : max;
        return pause;
    }
}
