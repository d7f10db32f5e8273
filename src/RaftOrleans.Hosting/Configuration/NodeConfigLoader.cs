using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;
using RaftOrleans.Hosting.Database;

namespace RaftOrleans.Hosting.Configuration;

/// <summary>Reads silo-config/nX.json, applies command-line overrides and validates every value, failing
/// with a <see cref="ConfigException"/> that names the file and the key (or the option).</summary>
public static class NodeConfigLoader
{
    private const string DefaultSqliteStorage = "Data Source={dataDir}/{node}.raft.db";
    private const string DefaultSqliteClustering = "Data Source={dataDir}/cluster.db";
    private const int DefaultSnapshotChunkBytes = 512 * 1024;
    private const int MaxSnapshotChunkBytes = 16 << 20;

    /// <param name="configPath">The file, as the user gave it (relative paths resolve against the current folder).</param>
    /// <param name="overrides">Configuration key → value from the command line (see <see cref="ConfigKeys.Overrides"/>).</param>
    public static NodeConfig Load(string configPath, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var values = ReadFile(configPath);
        var origins = values.Keys.ToDictionary(key => key, key => $"{configPath}: {key}", StringComparer.Ordinal);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            values[key] = value;
            origins[key] = $"option {ConfigKeys.Overrides.First(pair => pair.Value == key).Key}";
        }

        var reader = new Values(configPath, values, origins);
        var configFolder = Path.GetDirectoryName(Path.GetFullPath(configPath))!;

        var nodeId = reader.Name(ConfigKeys.Node);
        var dataDirectory = Path.GetFullPath(reader.Text(ConfigKeys.DataDir, "data"), configFolder);
        var join = reader.Text(ConfigKeys.Join, "false") switch
        {
            "true" => true,
            "false" => false,
            var other => throw new ConfigException(reader.Origin(ConfigKeys.Join), $"'{other}' is not true or false"),
        };
        // A joining node must never hold a configuration of its own: with one naming only itself it would
        // elect itself; with the file's voters it could vote in a cluster that never added it.
        IReadOnlyList<string> voters = join ? [] : reader.NameList(ConfigKeys.Voters);
        if (!join && !voters.Contains(nodeId, StringComparer.Ordinal))
        {
            throw new ConfigException(reader.Origin(ConfigKeys.Voters), $"the voters ({string.Join(",", voters)}) do not include this node {nodeId}");
        }

        var siloPort = reader.Port(ConfigKeys.SiloPort);
        var gatewayPort = reader.Port(ConfigKeys.GatewayPort);
        if (siloPort == gatewayPort)
        {
            throw new ConfigException(reader.Origin(ConfigKeys.GatewayPort), $"{gatewayPort} is also the silo port");
        }

        var electionTicks = reader.PositiveInt(ConfigKeys.ElectionTicks, 15);
        var heartbeatTicks = reader.PositiveInt(ConfigKeys.HeartbeatTicks, 5);
        if (heartbeatTicks >= electionTicks)
        {
            throw new ConfigException(reader.Origin(ConfigKeys.HeartbeatTicks),
                $"{heartbeatTicks} must be less than {ConfigKeys.ElectionTicks} ({electionTicks}): followers would time out between heartbeats");
        }

        var snapshotChunkBytes = reader.PositiveInt(ConfigKeys.SnapshotChunkBytes, DefaultSnapshotChunkBytes);
        if (snapshotChunkBytes > MaxSnapshotChunkBytes)
        {
            throw new ConfigException(reader.Origin(ConfigKeys.SnapshotChunkBytes),
                $"{snapshotChunkBytes} is above {MaxSnapshotChunkBytes}: one chunk is one message between silos and one database row");
        }

        var metricsPort = MetricsPort(reader, siloPort, gatewayPort);
        // Lease reads: a lease lasts an election timeout less this bound (default: a quarter of it).
        var electionTimeoutMs = electionTicks * reader.PositiveInt(ConfigKeys.TickIntervalMs, 10);
        var leaseDriftMs = reader.NonNegativeInt(ConfigKeys.LeaseClockDriftBoundMs, electionTimeoutMs / 4);
        if (leaseDriftMs >= electionTimeoutMs)
        {
            throw new ConfigException(reader.Origin(ConfigKeys.LeaseClockDriftBoundMs),
                $"{leaseDriftMs} must be less than the election timeout ({electionTimeoutMs} ms): no lease would remain");
        }

        return new NodeConfig
        {
            ConfigPath = configPath,
            NodeId = nodeId,
            ClusterId = reader.Name(ConfigKeys.ClusterId, "raftorleans"),
            ServiceId = reader.Name(ConfigKeys.ServiceId, "raftorleans"),
            AdvertisedAddress = reader.Address(ConfigKeys.AdvertisedAddress, "127.0.0.1"),
            SiloPort = siloPort,
            GatewayPort = gatewayPort,
            DataDirectory = dataDirectory,
            Storage = reader.Database(ConfigKeys.StorageKind, ConfigKeys.StorageConnection, DefaultSqliteStorage, dataDirectory, nodeId),
            Clustering = reader.Database(ConfigKeys.ClusteringKind, ConfigKeys.ClusteringConnection, DefaultSqliteClustering, dataDirectory, nodeId),
            Voters = voters,
            Join = join,
            TickIntervalMs = reader.PositiveInt(ConfigKeys.TickIntervalMs, 10),
            ElectionTicks = electionTicks,
            HeartbeatTicks = heartbeatTicks,
            SnapshotThresholdEntries = reader.PositiveInt(ConfigKeys.SnapshotThresholdEntries, 10_000),
            SnapshotThresholdBytes = reader.PositiveInt(ConfigKeys.SnapshotThresholdBytes, 64 << 20),
            SnapshotTrailingEntries = reader.NonNegativeInt(ConfigKeys.SnapshotTrailingEntries, 1_000),
            SnapshotChunkBytes = snapshotChunkBytes,
            MetricsPort = metricsPort,
            OtlpEndpoint = reader.HttpUri(ConfigKeys.OtlpEndpoint),
            LeaseClockDriftBoundMs = leaseDriftMs,
            Origins = origins,
        };
    }

    /// <summary>Null (no metrics endpoint) when the key is absent or 0.</summary>
    private static int? MetricsPort(Values reader, int siloPort, int gatewayPort)
    {
        if (reader.NonNegativeInt(ConfigKeys.MetricsPort, 0) == 0)
        {
            return null;
        }

        var port = reader.Port(ConfigKeys.MetricsPort);
        if (port == siloPort || port == gatewayPort)
        {
            throw new ConfigException(reader.Origin(ConfigKeys.MetricsPort), $"{port} is also the {(port == siloPort ? "silo" : "gateway")} port");
        }

        return port;
    }

    /// <summary>The file's values flattened to "section.key" → text (arrays joined with commas).</summary>
    private static Dictionary<string, string> ReadFile(string configPath)
    {
        if (!File.Exists(configPath))
        {
            throw new ConfigException(configPath, "no such file");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(configPath),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new ConfigException(configPath, $"not valid JSON (line {e.LineNumber + 1}): {FirstLine(e.Message)}");
        }
        catch (IOException e)
        {
            throw new ConfigException(configPath, $"cannot be read: {e.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ConfigException(configPath, "must hold a JSON object");
            }

            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            Flatten(configPath, document.RootElement, prefix: "", values);
            return values;
        }
    }

    private static void Flatten(string configPath, JsonElement element, string prefix, Dictionary<string, string> values)
    {
        foreach (var property in element.EnumerateObject())
        {
            // Keys starting with "_" are comments.
            if (property.Name.StartsWith('_'))
            {
                continue;
            }

            var key = prefix + property.Name;
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                Flatten(configPath, property.Value, key + ".", values);
                continue;
            }

            if (!ConfigKeys.All.Contains(key))
            {
                throw new ConfigException($"{configPath}: {key}", $"unknown key (known: {string.Join(", ", ConfigKeys.All.Order())})");
            }

            values[key] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString()!,
                JsonValueKind.Number => property.Value.GetRawText(),
                JsonValueKind.Array => string.Join(",", property.Value.EnumerateArray().Select(item =>
                    item.ValueKind == JsonValueKind.String
                        ? item.GetString()!
                        : throw new ConfigException($"{configPath}: {key}", "must be an array of strings"))),
                _ => throw new ConfigException($"{configPath}: {key}", $"must be a string or a number, not {property.Value.ValueKind.ToString().ToLowerInvariant()}"),
            };
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    /// <summary>Typed reads of the merged values, each failing with the value's origin.</summary>
    private sealed class Values(string configPath, Dictionary<string, string> values, Dictionary<string, string> origins)
    {
        public string Origin(string key) => origins.TryGetValue(key, out var origin) ? origin : $"{configPath}: {key}";

        public string Text(string key, string? fallback = null)
        {
            if (values.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value))
            {
                return value.Trim();
            }

            return fallback ?? throw new ConfigException(Origin(key), "missing (required)");
        }

        /// <summary>A node id, cluster id or the like: letters, digits, '-', '_' and '.'.</summary>
        public string Name(string key, string? fallback = null)
        {
            var value = Text(key, fallback);
            if (!IsName(value))
            {
                throw new ConfigException(Origin(key), $"'{value}' is not a valid name (letters, digits, '-', '_', '.')");
            }

            return value;
        }

        public IReadOnlyList<string> NameList(string key)
        {
            var names = Text(key).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0)
            {
                throw new ConfigException(Origin(key), "must name at least one node");
            }

            var invalid = names.FirstOrDefault(name => !IsName(name));
            if (invalid is not null)
            {
                throw new ConfigException(Origin(key), $"'{invalid}' is not a valid node name");
            }

            var duplicate = names.GroupBy(name => name, StringComparer.Ordinal).FirstOrDefault(group => group.Count() > 1);
            if (duplicate is not null)
            {
                throw new ConfigException(Origin(key), $"'{duplicate.Key}' is listed twice");
            }

            return names;
        }

        public int Port(string key)
        {
            var text = Text(key);
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            {
                throw new ConfigException(Origin(key), $"'{text}' is not a valid port (1-65535)");
            }

            return port;
        }

        public int PositiveInt(string key, int fallback)
        {
            var text = Text(key, fallback.ToString(CultureInfo.InvariantCulture));
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number < 1)
            {
                throw new ConfigException(Origin(key), $"'{text}' is not a positive whole number");
            }

            return number;
        }

        public int NonNegativeInt(string key, int fallback)
        {
            var text = Text(key, fallback.ToString(CultureInfo.InvariantCulture));
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                throw new ConfigException(Origin(key), $"'{text}' is not a whole number of 0 or more");
            }

            return number;
        }

        /// <summary>An absolute http or https address; null when the key is absent or empty.</summary>
        public Uri? HttpUri(string key)
        {
            if (!values.TryGetValue(key, out var text) || string.IsNullOrWhiteSpace(text))
            {
                return null;
            }

            if (!Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new ConfigException(Origin(key), $"'{text.Trim()}' is not an http:// or https:// address");
            }

            return uri;
        }

        public IPAddress Address(string key, string fallback)
        {
            var text = Text(key, fallback);
            if (!IPAddress.TryParse(text, out var address))
            {
                throw new ConfigException(Origin(key), $"'{text}' is not an IP address");
            }

            return address;
        }

        public DatabaseConnection Database(string kindKey, string connectionKey, string sqliteDefault, string dataDirectory, string nodeId)
        {
            var kindText = Text(kindKey, "sqlite");
            if (!DatabaseKinds.TryParse(kindText, out var kind))
            {
                throw new ConfigException(Origin(kindKey), $"unknown kind '{kindText}' (known: {string.Join(", ", DatabaseKinds.Names)})");
            }

            var connection = values.TryGetValue(connectionKey, out var given) && !string.IsNullOrWhiteSpace(given)
                ? given.Trim()
                : kind == DatabaseKind.Sqlite
                    ? sqliteDefault
                    : throw new ConfigException(Origin(connectionKey), $"missing: {kind.Name()} needs a connection string");
            connection = connection.Replace("{dataDir}", dataDirectory, StringComparison.Ordinal)
                .Replace("{node}", nodeId, StringComparison.Ordinal);

            try
            {
                return kind == DatabaseKind.Sqlite ? Sqlite(connection, dataDirectory) : Postgres(connection);
            }
            catch (ArgumentException e)
            {
                throw new ConfigException(Origin(connectionKey), $"not a valid {kind.Name()} connection string: {FirstLine(e.Message)}");
            }
        }

        private static DatabaseConnection Sqlite(string connection, string dataDirectory)
        {
            var builder = new SqliteConnectionStringBuilder(connection);
            if (string.IsNullOrWhiteSpace(builder.DataSource))
            {
                throw new ArgumentException("no Data Source");
            }

            // A relative file lives in the data folder, wherever the silo was started from.
            if (builder.DataSource != ":memory:")
            {
                builder.DataSource = Path.GetFullPath(builder.DataSource, dataDirectory);
            }

            return new DatabaseConnection(DatabaseKind.Sqlite, builder.ToString());
        }

        private static DatabaseConnection Postgres(string connection)
        {
            var builder = new NpgsqlConnectionStringBuilder(connection);
            if (string.IsNullOrWhiteSpace(builder.Host))
            {
                throw new ArgumentException("no Host");
            }

            // An unreachable server must stop the silo in seconds, not after Npgsql's 15 s default.
            if (!connection.Contains("Timeout", StringComparison.OrdinalIgnoreCase))
            {
                builder.Timeout = 5;
            }

            return new DatabaseConnection(DatabaseKind.Postgres, builder.ToString());
        }

        private static bool IsName(string value) =>
            value.Length is > 0 and <= 100 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
    }
}
