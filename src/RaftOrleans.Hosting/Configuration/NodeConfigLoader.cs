using System.Globalization;
using System.Net;
using Microsoft.Data.Sqlite;
using Npgsql;
using RaftOrleans.Contracts;
using RaftOrleans.Hosting.Database;

namespace RaftOrleans.Hosting.Configuration;

/// <summary>Reads silo-config/nX.json, then RAFTORLEANS_ environment variables, then command-line options (see
/// <see cref="ConfigLayers"/>), and validates every node-level value, failing with a <see cref="ConfigException"/>
/// that names the file and key, the variable, or the option. The "raft" section is checked where it is bound
/// (the silo's Raft settings, which hold its defaults); "logging" goes to Microsoft.Extensions.Logging.</summary>
public static class NodeConfigLoader
{
    private const string DefaultSqliteStorage = "Data Source={dataDir}/{node}.raft.db";
    private const string DefaultSqliteClustering = "Data Source={dataDir}/cluster.db";

    private static readonly IReadOnlyDictionary<string, string> CanonicalNodeKeys =
        ConfigKeys.NodeKeys.ToDictionary(key => key, key => key, StringComparer.OrdinalIgnoreCase);

    /// <param name="configPath">The file, as the user gave it (relative paths resolve against the current folder).</param>
    /// <param name="overrides">Configuration key → value from the command line (see <see cref="ConfigKeys.Overrides"/>).</param>
    public static NodeConfig Load(string configPath, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var options = new Dictionary<string, (string Option, string Value)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
        {
            options[Path(key)] = (ConfigKeys.Overrides.First(pair => pair.Value == key).Key, value);
        }

        var layers = ConfigLayers.Read(configPath, ConfigKeys.EnvironmentPrefix, options,
            new HashSet<string>([Path(ConfigKeys.Voters)], StringComparer.OrdinalIgnoreCase),
            path => InSection(path, ConfigKeys.ClientSection) || string.Equals(path, ConfigKeys.RootVariable, StringComparison.OrdinalIgnoreCase) ? null : path);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var origins = new Dictionary<string, string>(StringComparer.Ordinal);
        var raft = new List<ConfigValue>();
        var logging = new List<ConfigValue>();
        foreach (var value in layers.Values.OrderBy(value => value.Path, StringComparer.OrdinalIgnoreCase))
        {
            var key = value.Path.Replace(':', '.');
            if (CanonicalNodeKeys.TryGetValue(key, out var canonical))
            {
                values[canonical] = value.Value;
                origins[canonical] = value.Origin;
            }
            else if (InSection(value.Path, ConfigKeys.RaftSection))
            {
                raft.Add(value with { Path = value.Path[(ConfigKeys.RaftSection.Length + 1)..] });
            }
            else if (InSection(value.Path, ConfigKeys.LoggingSection))
            {
                logging.Add(value);
            }
            else
            {
                throw new ConfigException(value.Origin,
                    $"unknown key (known: {string.Join(", ", ConfigKeys.NodeKeys.Order(StringComparer.Ordinal))}, raft.*, logging.*)");
            }
        }

        var reader = new Values(configPath, values, origins);
        var configFolder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(configPath))!;

        var nodeId = reader.Name(ConfigKeys.Node);
        var dataDirectory = System.IO.Path.GetFullPath(reader.Text(ConfigKeys.DataDir, "data"), configFolder);
        var joinText = reader.Text(ConfigKeys.Join, "false");
        var join = bool.TryParse(joinText, out var joins)
            ? joins
            : throw new ConfigException(reader.Origin(ConfigKeys.Join), $"'{joinText}' is not true or false");
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
            Storage = reader.Database(ConfigKeys.StorageKind, ConfigKeys.StorageConnection, ConfigKeys.StorageConnectionFile,
                DefaultSqliteStorage, dataDirectory, nodeId),
            Clustering = reader.Database(ConfigKeys.ClusteringKind, ConfigKeys.ClusteringConnection, ConfigKeys.ClusteringConnectionFile,
                DefaultSqliteClustering, dataDirectory, nodeId),
            Voters = voters,
            Join = join,
            Raft = raft,
            Logging = logging,
            MetricsPort = MetricsPort(reader, siloPort, gatewayPort),
            OtlpEndpoint = reader.HttpUri(ConfigKeys.OtlpEndpoint),
            Origins = origins,
        };
    }

    /// <summary>"raft.electionTicks" → "raft:electionTicks", the path Microsoft.Extensions.Configuration uses.</summary>
    private static string Path(string key) => key.Replace('.', ':');

    private static bool InSection(string path, string section) =>
        path.StartsWith(section + ":", StringComparison.OrdinalIgnoreCase);

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

        public DatabaseConnection Database(string kindKey, string connectionKey, string fileKey, string sqliteDefault, string dataDirectory, string nodeId)
        {
            var kindText = Text(kindKey, "sqlite");
            if (!DatabaseKinds.TryParse(kindText, out var kind))
            {
                throw new ConfigException(Origin(kindKey), $"unknown kind '{kindText}' (known: {string.Join(", ", DatabaseKinds.Names)})");
            }

            var connection = ConnectionText(connectionKey, fileKey) is { } given
                ? given
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

        /// <summary>The connection string, given itself or in a file (a secret kept out of the node file and argv:
        /// RAFTORLEANS_Storage__ConnectionStringFile=/run/secrets/pg); null when neither is given.</summary>
        private string? ConnectionText(string connectionKey, string fileKey)
        {
            var given = values.TryGetValue(connectionKey, out var text) && !string.IsNullOrWhiteSpace(text) ? text.Trim() : null;
            if (!values.TryGetValue(fileKey, out var file) || string.IsNullOrWhiteSpace(file))
            {
                return given;
            }

            if (given is not null)
            {
                throw new ConfigException(Origin(fileKey), $"give {connectionKey} or {fileKey}, not both ({connectionKey} comes from {Origin(connectionKey)})");
            }

            try
            {
                return File.ReadAllText(file.Trim()).Trim();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ConfigException(Origin(fileKey), $"cannot read '{file.Trim()}': {FirstLine(e.Message)}");
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
                builder.DataSource = System.IO.Path.GetFullPath(builder.DataSource, dataDirectory);
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
