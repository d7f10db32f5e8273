using System.Net;
using System.Text.Json;
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
/// A relative SQLite file is relative to the folder of client.json.</summary>
public static class ClientConfigLoader
{
    public static ClusterEndpoints Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ConfigException(path, "no such file");
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var root = document.RootElement;
            RejectUnknownKeys(root, path, "", TopLevelKeys);
            var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
            return new ClusterEndpoints
            {
                ClusterId = String(root, path, "clusterId") ?? throw new ConfigException($"{path}: clusterId", "missing (required)"),
                ServiceId = String(root, path, "serviceId") ?? "raftorleans",
                Clustering = Clustering(root, path, folder),
                Nodes = Nodes(root, path),
                ConnectTimeout = Milliseconds(root, path, "connectTimeoutMs", 3000),
                ResponseTimeout = Milliseconds(root, path, "responseTimeoutMs", 2000),
            };
        }
        catch (JsonException e)
        {
            throw new ConfigException(path, $"not valid JSON (line {e.LineNumber + 1})");
        }
    }

    private static readonly string[] TopLevelKeys = ["clusterId", "serviceId", "clustering", "nodes", "connectTimeoutMs", "responseTimeoutMs"];
    private static readonly string[] ClusteringKeys = ["kind", "connectionString"];

    /// <summary>A misspelt key would otherwise be ignored in silence and its default used (a typo in
    /// "responseTimeoutMs" would leave the 2 s default); as in the node files, keys starting with "_" are comments.</summary>
    private static void RejectUnknownKeys(JsonElement element, string path, string prefix, string[] known)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            throw new ConfigException(prefix.Length == 0 ? path : $"{path}: {prefix.TrimEnd('.')}", "must be a JSON object");
        }

        foreach (var property in element.EnumerateObject())
        {
            if (!property.Name.StartsWith('_') && !known.Contains(property.Name))
            {
                throw new ConfigException($"{path}: {prefix}{property.Name}", $"unknown key (known: {string.Join(", ", known.Select(key => prefix + key))})");
            }
        }
    }

    /// <summary>"127.0.0.1:11110" or "[::1]:11110".</summary>
    public static bool TryParseEndpoint(string text, out IPEndPoint endpoint) => IPEndPoint.TryParse(text, out endpoint!) && endpoint.Port > 0;

    private static string? String(JsonElement element, string path, string key)
    {
        if (!element.TryGetProperty(key, out var value))
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new ConfigException($"{path}: {key}", "must be a string");
    }

    private static TimeSpan Milliseconds(JsonElement root, string path, string key, int fallback)
    {
        if (!root.TryGetProperty(key, out var value))
        {
            return TimeSpan.FromMilliseconds(fallback);
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var ms) && ms > 0
            ? TimeSpan.FromMilliseconds(ms)
            : throw new ConfigException($"{path}: {key}", "must be a positive number of milliseconds");
    }

    private static DatabaseConnection? Clustering(JsonElement root, string path, string folder)
    {
        if (!root.TryGetProperty("clustering", out var clustering))
        {
            return null;
        }

        RejectUnknownKeys(clustering, path, "clustering.", ClusteringKeys);
        var kindText = String(clustering, path, "kind") ?? "sqlite";
        if (!DatabaseKinds.TryParse(kindText, out var kind))
        {
            throw new ConfigException($"{path}: clustering.kind", $"unknown kind '{kindText}' (known: {string.Join(", ", DatabaseKinds.Names)})");
        }

        var connection = String(clustering, path, "connectionString")
            ?? throw new ConfigException($"{path}: clustering.connectionString", "missing (required with clustering)");
        if (kind == DatabaseKind.Sqlite)
        {
            var builder = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(connection);
            builder.DataSource = Path.GetFullPath(builder.DataSource, folder);
            connection = builder.ToString();
        }

        return new DatabaseConnection(kind, connection);
    }

    private static IReadOnlyList<NodeEndpoint> Nodes(JsonElement root, string path)
    {
        if (!root.TryGetProperty("nodes", out var nodes) || nodes.ValueKind != JsonValueKind.Object)
        {
            throw new ConfigException($"{path}: nodes", "missing: an object of node id → gateway (\"n1\": \"127.0.0.1:11110\")");
        }

        var result = new List<NodeEndpoint>();
        foreach (var node in nodes.EnumerateObject())
        {
            var text = node.Value.ValueKind == JsonValueKind.String ? node.Value.GetString()! : "";
            if (!TryParseEndpoint(text, out var gateway))
            {
                throw new ConfigException($"{path}: nodes.{node.Name}", $"'{text}' is not an address:port");
            }

            result.Add(new NodeEndpoint(node.Name, gateway));
        }

        return result.Count > 0 ? result : throw new ConfigException($"{path}: nodes", "names no node");
    }
}
