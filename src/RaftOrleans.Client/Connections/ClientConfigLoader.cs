using System.Globalization;
using System.Net;
using RaftOrleans.Contracts;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Hosting.Database;

namespace RaftOrleans.Client.Connections;

/// <summary>Reads silo-config/client.json:
/// <code>
/// { "clusterId": "...", "serviceId": "...",
///   "clustering": { "kind": "sqlite", "connectionString": "Data Source=../.data/cluster.db" },   (optional)
///   "nodes": { "n1": "127.0.0.1:11110", ... },
///   "connectTimeoutMs": 3000, "responseTimeoutMs": 2000 }
/// </code>
/// then RAFTORLEANS_Client__ environment variables over it (RAFTORLEANS_Client__ResponseTimeoutMs=5000,
/// RAFTORLEANS_Client__Clustering__ConnectionString=... for a secret), through <see cref="ConfigLayers"/>.
/// A relative SQLite file is relative to the folder of client.json.</summary>
public static class ClientConfigLoader
{
    private static readonly string[] ScalarKeys =
        ["clusterId", "serviceId", "clustering:kind", "clustering:connectionString", "clustering:connectionStringFile", "connectTimeoutMs", "responseTimeoutMs"];

    private const string NodesSection = "nodes";

    public static ClusterEndpoints Load(string path)
    {
        var layers = ConfigLayers.Read(path, ConfigKeys.EnvironmentPrefix, new Dictionary<string, (string, string)>(),
            new HashSet<string>(), ClientPath);
        var values = new Dictionary<string, ConfigValue>(StringComparer.OrdinalIgnoreCase);
        var nodes = new List<ConfigValue>();
        foreach (var value in layers.Values.OrderBy(value => value.Path, StringComparer.OrdinalIgnoreCase))
        {
            // A misspelt key would otherwise be ignored in silence and its default used (a typo in
            // "responseTimeoutMs" would leave the 2 s default).
            if (ScalarKeys.FirstOrDefault(key => string.Equals(key, value.Path, StringComparison.OrdinalIgnoreCase)) is { } key)
            {
                values[key] = value;
            }
            else if (value.Path.StartsWith(NodesSection + ":", StringComparison.OrdinalIgnoreCase) && value.Path.Count(c => c == ':') == 1)
            {
                nodes.Add(value with { Path = value.Path[(NodesSection.Length + 1)..] });
            }
            else
            {
                throw new ConfigException(value.Origin,
                    $"unknown key (known: {string.Join(", ", ScalarKeys.Select(known => known.Replace(':', '.')).Append("nodes.<node>"))})");
            }
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return new ClusterEndpoints
        {
            ClusterId = Text(values, "clusterId") ?? throw new ConfigException($"{path}: clusterId", "missing (required)"),
            ServiceId = Text(values, "serviceId") ?? "raftorleans",
            Clustering = Clustering(values, path, folder),
            Nodes = Nodes(nodes, path),
            ConnectTimeout = Milliseconds(values, "connectTimeoutMs", 3000),
            ResponseTimeout = Milliseconds(values, "responseTimeoutMs", 2000),
        };
    }

    /// <summary>RAFTORLEANS_Client__X is the file's X; the silos' variables are not the client's business.</summary>
    private static string? ClientPath(string environmentPath) =>
        environmentPath.StartsWith(ConfigKeys.ClientSection + ":", StringComparison.OrdinalIgnoreCase)
            ? environmentPath[(ConfigKeys.ClientSection.Length + 1)..]
            : null;

    /// <summary>"127.0.0.1:11110" or "[::1]:11110".</summary>
    public static bool TryParseEndpoint(string text, out IPEndPoint endpoint) => IPEndPoint.TryParse(text, out endpoint!) && endpoint.Port > 0;

    private static string? Text(Dictionary<string, ConfigValue> values, string key) =>
        values.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value.Value) ? value.Value.Trim() : null;

    private static TimeSpan Milliseconds(Dictionary<string, ConfigValue> values, string key, int fallback)
    {
        if (!values.TryGetValue(key, out var value))
        {
            return TimeSpan.FromMilliseconds(fallback);
        }

        return int.TryParse(value.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : throw new ConfigException(value.Origin, "must be a positive number of milliseconds");
    }

    private static DatabaseConnection? Clustering(Dictionary<string, ConfigValue> values, string path, string folder)
    {
        if (!values.Keys.Any(key => key.StartsWith("clustering:", StringComparison.Ordinal)))
        {
            return null;
        }

        var kindText = Text(values, "clustering:kind") ?? "sqlite";
        if (!DatabaseKinds.TryParse(kindText, out var kind))
        {
            throw new ConfigException(values["clustering:kind"].Origin, $"unknown kind '{kindText}' (known: {string.Join(", ", DatabaseKinds.Names)})");
        }

        var connection = Text(values, "clustering:connectionString");
        if (Text(values, "clustering:connectionStringFile") is { } file)
        {
            var origin = values["clustering:connectionStringFile"].Origin;
            if (connection is not null)
            {
                throw new ConfigException(origin, "give clustering.connectionString or clustering.connectionStringFile, not both");
            }

            try
            {
                connection = File.ReadAllText(file).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException(origin, $"cannot read '{file}': {e.Message.Split('\n')[0].Trim()}");
            }
        }

        if (connection is null)
        {
            throw new ConfigException($"{path}: clustering.connectionString", "missing (required with clustering)");
        }

        if (kind == DatabaseKind.Sqlite)
        {
            var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connection);
            builder.DataSource = Path.GetFullPath(builder.DataSource, folder);
            connection = builder.ToString();
        }

        return new DatabaseConnection(kind, connection);
    }

    private static IReadOnlyList<NodeEndpoint> Nodes(List<ConfigValue> nodes, string path)
    {
        var result = new List<NodeEndpoint>();
        foreach (var node in nodes)
        {
            if (!TryParseEndpoint(node.Value, out var gateway))
            {
                throw new ConfigException(node.Origin, $"'{node.Value}' is not an address:port");
            }

            result.Add(new NodeEndpoint(node.Path, gateway));
        }

        return result.Count > 0
            ? result
            : throw new ConfigException($"{path}: nodes", "missing: an object of node id → gateway (\"n1\": \"127.0.0.1:11110\")");
    }
}
