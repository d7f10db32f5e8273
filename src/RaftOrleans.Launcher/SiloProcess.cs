using System.Diagnostics;
using RaftOrleans.Contracts;

namespace RaftOrleans.Launcher;

/// <summary>Starts one silo in the background, detached from the launcher (its own session, so the
/// launcher can exit and a Ctrl-C in the terminal does not reach it), its output appended to its log file.</summary>
public static class SiloProcess
{
    /// <summary>Begins the line written to a silo's log before each start: what follows it is that run's.</summary>
    public const string StartLinePrefix = "--- raftctl: starting ";

    public static int Start(ClusterState cluster, NodeState node, string repositoryRoot)
    {
        Directory.CreateDirectory(cluster.LogDirectory);
        Directory.CreateDirectory(cluster.DataDirectory);
        var log = cluster.LogFile(node.Node);
        File.AppendAllText(log, $"{StartLinePrefix}{node.Node} at {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss} UTC ---{Environment.NewLine}");

        // setsid gives the silo its own session; sh redirects its output and then becomes the silo (exec),
        // so the pid we get is the silo's own.
        var useSetsid = File.Exists("/usr/bin/setsid") || File.Exists("/bin/setsid");
        var start = new ProcessStartInfo(useSetsid ? "setsid" : "sh")
        {
            UseShellExecute = false,
            WorkingDirectory = repositoryRoot,
        };
        if (useSetsid)
        {
            start.ArgumentList.Add("sh");
        }

        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("exec \"$@\" >>\"$RAFT_SILO_LOG\" 2>&1 </dev/null");
        start.ArgumentList.Add("raft-silo");
        foreach (var argument in Arguments(cluster, node, repositoryRoot))
        {
            start.ArgumentList.Add(argument);
        }

        // Connection strings travel in the environment, not on the command line, which every local user can read.
        foreach (var (variable, value) in ConnectionVariables(cluster))
        {
            start.Environment[variable] = value;
        }

        start.Environment["RAFT_SILO_LOG"] = log;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start) ?? throw new LauncherException($"cannot start the silo process of {node.Node}");
        return process.Id;
    }

    /// <summary>The node's ready file (silo-config/nX.json) with this cluster's ports, folder, voters and databases.</summary>
    public static IReadOnlyList<string> Arguments(ClusterState cluster, NodeState node, string repositoryRoot)
    {
        var arguments = new List<string>
        {
            DotnetHost.Path, cluster.SiloDll,
            "--config", Path.Combine(repositoryRoot, "silo-config", $"{node.Node}.json"),
            "--cluster-id", cluster.ClusterId,
            "--service-id", cluster.ServiceId,
            "--silo-port", node.SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--gateway-port", node.GatewayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--data-dir", cluster.DataDirectory,
            "--voters", string.Join(",", cluster.Voters),
            "--join", node.Joined ? "true" : "false",
            "--storage", cluster.StorageKind.Name(),
            "--clustering", cluster.ClusteringKind.Name(),
        };

        if (node.MetricsPort > 0)
        {
            arguments.AddRange(["--metrics-port", node.MetricsPort.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        }

        foreach (var (option, value) in cluster.SiloOverrides)
        {
            arguments.AddRange([option, value]);
        }

        return arguments;
    }

    /// <summary>The silo's connection strings, as RAFTORLEANS_ variables (see the silo's configuration layers).</summary>
    public static IReadOnlyDictionary<string, string> ConnectionVariables(ClusterState cluster)
    {
        var variables = new Dictionary<string, string> { ["RAFTORLEANS_Clustering__ConnectionString"] = cluster.ClusteringConnection };
        if (cluster.StorageConnection is not null)
        {
            variables["RAFTORLEANS_Storage__ConnectionString"] = cluster.StorageConnection;
        }

        return variables;
    }

    /// <summary>True when pid is a live silo process of this node in this cluster (not a recycled pid).</summary>
    public static bool IsRunning(ClusterState cluster, NodeState node)
    {
        if (node.Pid <= 0 || !PosixSignals.IsAlive(node.Pid))
        {
            return false;
        }

        var cmdline = $"/proc/{node.Pid}/cmdline";
        if (!File.Exists(cmdline))
        {
            return true;
        }

        try
        {
            var text = File.ReadAllText(cmdline);
            // Empty while the kernel swaps the process's image: a silo starts as setsid, execs sh, which execs
            // dotnet. Taking that window for "not running" once started a second silo of the same node on a
            // loaded machine (LauncherTests). A process that exited reads empty too; IsAlive tells the two apart.
            if (text.Length == 0) return PosixSignals.IsAlive(node.Pid);
            var arguments = text.Split('\0');
            return arguments.Contains(cluster.SiloDll) && arguments.Contains(cluster.DataDirectory)
                && arguments.Any(argument => argument.EndsWith($"{node.Node}.json", StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }
}
