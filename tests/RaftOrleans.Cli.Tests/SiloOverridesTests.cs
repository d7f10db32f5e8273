using RaftOrleans.Contracts;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Tests;

/// <summary>A cluster's silo overrides (the demo's longer election timeout) are kept in its cluster.json, so a
/// node started later by another raftctl process (cluster start, cluster add) gets them too.</summary>
public sealed class SiloOverridesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("raftctl-overrides-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Overrides_survive_cluster_json_and_reach_every_silo_command_line()
    {
        var state = new ClusterState
        {
            ClusterId = "c", ServiceId = "s", BasePort = 26800, StorageKind = DatabaseKind.Sqlite, ClusteringKind = DatabaseKind.Sqlite,
            ClusteringConnection = "Data Source=x.db", DataDirectory = _directory, LogDirectory = _directory, SiloDll = "raft-silo.dll",
            Voters = ["n1"], Nodes = [new NodeState { Node = "n1", SiloPort = 26800, GatewayPort = 26810 }],
            SiloOverrides = new Dictionary<string, string> { ["--election-ticks"] = "40" },
        };

        state.Save(_directory);
        var arguments = SiloProcess.Arguments(ClusterState.Load(_directory), state.Nodes[0], _directory);

        var at = arguments.ToList().IndexOf("--election-ticks");
        Assert.True(at > 0 && arguments[at + 1] == "40", string.Join(' ', arguments));
    }

    [Fact]
    public void An_option_the_silo_does_not_know_is_refused_before_anything_starts()
    {
        var launcher = new ClusterLauncher(_directory, Path.Combine(_directory, "cluster"), TextWriter.Null);

        var refused = Assert.Throws<LauncherException>(() =>
            launcher.Up(new UpOptions { BasePort = 26800, SiloOverrides = new Dictionary<string, string> { ["--election-tick"] = "40" } }));

        Assert.Contains("--election-tick", refused.Message);
        Assert.False(File.Exists(Path.Combine(_directory, "cluster", ClusterState.FileName)));
    }
}
