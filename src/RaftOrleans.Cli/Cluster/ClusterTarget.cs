using RaftOrleans.Client.Connections;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Launcher;

namespace RaftOrleans.Cli.Cluster;

/// <summary>Which cluster a console command talks to, for `status` and for any command that needs a client.</summary>
public static class ClusterTarget
{
    /// <summary>The file <paramref name="clientConfig"/> when given; else the cluster the launcher runs in
    /// <paramref name="clusterDirectory"/> (default .raftctl/cluster); else silo-config/client.json (a cluster
    /// started by hand). Throws <see cref="LauncherException"/>, <see cref="ConfigException"/> or (outside a checkout,
    /// with neither given) <see cref="UsageException"/>, each with a one-line message.</summary>
    public static ClusterEndpoints Resolve(string? clusterDirectory = null, string? clientConfig = null)
    {
        if (clientConfig is not null)
        {
            return ClientConfigLoader.Load(clientConfig);
        }

        if (clusterDirectory is not null)
        {
            // A launcher's cluster folder is enough: raftctl installed as a tool runs outside the checkout.
            return ClusterState.TryLoad(clusterDirectory)?.Endpoints() ?? throw new LauncherException($"no cluster in {clusterDirectory}");
        }

        string root;
        try
        {
            root = RepositoryRoot.Find();
        }
        catch (LauncherException)
        {
            throw new UsageException("which cluster? outside a RaftOrleans checkout give --client-config FILE " +
                                     "(a client config, as silo-config/client.json) or --cluster-dir DIR (a folder of `raftctl cluster up`)");
        }

        if (ClusterState.TryLoad(ClusterLauncher.DefaultClusterDirectory(root)) is { } state)
        {
            return state.Endpoints();
        }

        return ClientConfigLoader.Load(Path.Combine(root, "silo-config", "client.json"));
    }
}
