namespace RaftOrleans.Simulation;

/// <summary>How the simulated network misbehaves. Delays are drawn uniformly from
/// [MinDelayTicks, MaxDelayTicks]; different delays reorder messages.</summary>
public sealed record NetworkFaults
{
    public double DropRate { get; init; }
    public double DuplicateRate { get; init; }
    public int MinDelayTicks { get; init; } = 1;
    public int MaxDelayTicks { get; init; } = 1;

    public static NetworkFaults Reliable { get; } = new();

    public static NetworkFaults Unreliable { get; } = new() { DropRate = 0.1, DuplicateRate = 0.05, MaxDelayTicks = 4 };
}
