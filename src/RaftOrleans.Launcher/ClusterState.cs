using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using RaftOrleans.Client.Connections;
using RaftOrleans.Contracts;
using RaftOrleans.Hosting.Database;

namespace RaftOrleans.Launcher;

/// <summary>What `cluster up` started, kept in &lt;cluster dir&gt;/cluster.json so that later commands
/// (kill, start, status, down) in other raftctl processes find the nodes, their ports and pids.</summary>
public sealed record ClusterState
{
    public required string ClusterId { get; init; }
    public required string ServiceId { get; init; }
    public required int BasePort { get; init; }
    public required DatabaseKind StorageKind { get; init; }
    public string? StorageConnection { get; init; }
    public required DatabaseKind ClusteringKind { get; init; }
    public required string ClusteringConnection { get; init; }
    public required string DataDirectory { get; init; }
    public required string LogDirectory { get; init; }
    public required string SiloDll { get; init; }
    public required IReadOnlyList<string> Voters { get; init; }
    public required List<NodeState> Nodes { get; init; }

    /// <summary>Silo options every node of this cluster starts with (see <see cref="UpOptions.SiloOverrides"/>).</summary>
    public IReadOnlyDictionary<string, string> SiloOverrides { get; init; } = new Dictionary<string, string>();

    public const string FileName = "cluster.json";


    public NodeState Node(string node) =>
        Nodes.FirstOrDefault(candidate => candidate.Node == node)
        ?? throw new LauncherException($"no node '{node}' in this cluster (nodes: {string.Join(", ", Nodes.Select(n => n.Node))})");

    public string LogFile(string node) => Path.Combine(LogDirectory, $"{node}.log");

    public DatabaseConnection Clustering() => new(ClusteringKind, ClusteringConnection);

    public ClusterEndpoints Endpoints() => new()
    {
        ClusterId = ClusterId,
        ServiceId = ServiceId,
        Clustering = Clustering(),
        Nodes = Nodes.Select(node => new NodeEndpoint(node.Node, new IPEndPoint(IPAddress.Loopback, node.GatewayPort))).ToArray(),
    };

    public static ClusterState? TryLoad(string clusterDirectory)
    {
        var path = Path.Combine(clusterDirectory, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), ClusterStateJson.Default.ClusterState)
                ?? throw new LauncherException($"{path} is empty");
        }
        catch (JsonException e)
        {
            throw new LauncherException($"{path} is damaged ({e.Message.Split('\n')[0]}); `raftctl cluster up --fresh` starts over");
        }
    }

    public static ClusterState Load(string clusterDirectory) =>
        TryLoad(clusterDirectory)
        ?? throw new LauncherException($"no cluster in {clusterDirectory} (start one with `raftctl cluster up`)");

    public void Save(string clusterDirectory)
    {
        Directory.CreateDirectory(clusterDirectory);
        var path = Path.Combine(clusterDirectory, FileName);
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(this, ClusterStateJson.Default.ClusterState));
        File.Move(temporary, path, overwrite: true);
    }
}

/// <summary>One node: its ports and the pid of its silo process (0 when it was never started).</summary>
public sealed record NodeState
{
    public required string Node { get; init; }
    public required int SiloPort { get; init; }
    public required int GatewayPort { get; init; }

    /// <summary>The silo's /metrics, /healthz and /readyz port; 0: none (a state file from before it existed).</summary>
    public int MetricsPort { get; init; }
    public int Pid { get; set; }

    /// <summary>Added to a running cluster (`cluster add`): started with no configuration of its own, it was
    /// made a member through the log, so every later start is a join as well.</summary>
    public bool Joined { get; init; }
}

/// <summary>cluster.json's serializer, generated at build time: every console command reads this file before it
/// connects, and a generated serializer needs no reflection warm-up at each process start.</summary>
[JsonSourceGenerationOptions(
    WriteIndented = true,
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(ClusterState))]
internal sealed partial class ClusterStateJson : JsonSerializerContext;
