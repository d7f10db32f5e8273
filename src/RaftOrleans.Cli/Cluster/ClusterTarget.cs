using RaftOrleans.Hosting.Client;
using RaftOrleans.Hosting.Configuration;

namespace RaftOrleans.Cli.Cluster;

/// <summary>Which cluster a console command talks to, for `status` and for any command that needs a client.</summary>
public static class ClusterTarget
{
    /// <summary>The file <paramref name="clientConfig"/> when given; else the cluster the launcher runs in
    /// <paramref name="clusterDirectory"/> (default .raftctl/cluster); else silo-config/client.json (a cluster
    /// started by hand). Throws <see cref="LauncherException"/> or <see cref="ConfigException"/> with a one-line message.</summary>
    public static ClusterEndpoints Resolve(string? clusterDirectory = null, string? clientConfig = null)
    {
        if (clientConfig is not null)
        {
            return ClientConfigLoader.Load(clientConfig);
        }

        var root = RepositoryRoot.Find();
        var directory = clusterDirectory ?? ClusterLauncher.DefaultClusterDirectory(root);
        if (ClusterState.TryLoad(directory) is { } state)
        {
            return state.Endpoints();
        }

        if (clusterDirectory is not null)
        {
            throw new LauncherException($"no cluster in {clusterDirectory}");
        }

        return ClientConfigLoader.Load(Path.Combine(root, "silo-config", "client.json"));
    }
}
