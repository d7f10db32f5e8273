namespace RaftOrleans.Simulation;

/// <summary>A Raft safety property was broken. The message names the property and what was seen.</summary>
public sealed class SafetyViolationException(string property, string detail)
    : Exception($"{property} violated: {detail}")
{
    public string Property { get; } = property;
}
