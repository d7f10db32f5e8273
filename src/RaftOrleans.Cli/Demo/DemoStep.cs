namespace RaftOrleans.Cli.Demo;

/// <summary>One checked step of the demo: what Raft requires, what the cluster did.</summary>
public sealed record DemoStep(string Scenario, string Step, string Expected, string Observed, bool Passed);
