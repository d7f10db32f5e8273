using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Hosting.Database;

namespace RaftOrleans.Silo;

/// <summary>Binds the "raft" section of a node's configuration to <see cref="RaftNodeSettings"/>: its keys are the
/// settings' properties (raft.electionTicks is <see cref="RaftNodeSettings.ElectionTicks"/>), its defaults and
/// limits are the settings' own. Every failure names where the value came from.</summary>
public static class RaftSettingsBinding
{
    /// <summary>Set from node-level keys (node, raft.voters, storage), or fixed: the segment size is the layout
    /// of rows already stored.</summary>
    private static readonly HashSet<string> NotKeys =
    [
        nameof(RaftNodeSettings.NodeId), nameof(RaftNodeSettings.Voters), nameof(RaftNodeSettings.Storage),
        nameof(RaftNodeSettings.LogSegmentEntries),
    ];

    private static readonly IReadOnlyDictionary<string, PropertyInfo> Keys = typeof(RaftNodeSettings)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(property => property.SetMethod is { IsPublic: true } && !NotKeys.Contains(property.Name))
        .ToDictionary(property => property.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>"raft.electionTicks", ... for messages and the README.</summary>
    public static IEnumerable<string> KeyNames =>
        Keys.Keys.Select(name => $"{ConfigKeys.RaftSection}.{char.ToLowerInvariant(name[0])}{name[1..]}").Order(StringComparer.Ordinal);

    public static RaftNodeSettings Bind(NodeConfig config)
    {
        var section = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var origins = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var value in config.Raft)
        {
            if (!Keys.TryGetValue(value.Path, out var property))
            {
                throw new ConfigException(value.Origin,
                    $"unknown key (known: {string.Join(", ", KeyNames.Append(ConfigKeys.Voters).Append(ConfigKeys.Join).Order(StringComparer.Ordinal))})");
            }

            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (!Converts(value.Value, type))
            {
                throw new ConfigException(value.Origin, $"'{value.Value}' is not {Describe(type)}");
            }

            section[property.Name] = value.Value.Trim();
            origins[property.Name] = value.Origin;
        }

        var settings = new RaftNodeSettings
        {
            NodeId = config.NodeId,
            Voters = config.Voters,
            Storage = new RaftStorageSettings { Kind = config.Storage.Kind, ConnectionString = config.Storage.ConnectionString },
        };
        new ConfigurationBuilder().AddInMemoryCollection(section).Build()
            .Bind(settings, options => options.ErrorOnUnknownConfiguration = true);
        try
        {
            settings.Validate();
        }
        catch (RaftSettingsException e)
        {
            var origin = origins.TryGetValue(e.Setting, out var given)
                ? given
                : Keys.ContainsKey(e.Setting)
                    ? $"{config.ConfigPath}: {ConfigKeys.RaftSection}.{char.ToLowerInvariant(e.Setting[0])}{e.Setting[1..]}"
                    : config.Origin(e.Setting);
            throw new ConfigException(origin, e.Problem);
        }

        return settings;
    }

    /// <summary>What the binder will accept: the converter it uses, on invariant text.</summary>
    private static bool Converts(string text, Type type)
    {
        try
        {
            return TypeDescriptor.GetConverter(type).ConvertFromString(null, CultureInfo.InvariantCulture, text.Trim()) is not null;
        }
        catch (Exception e) when (e is FormatException or NotSupportedException or ArgumentException or OverflowException)
        {
            return false;
        }
    }

    private static string Describe(Type type) =>
        type == typeof(bool) ? "true or false"
        : type == typeof(int) || type == typeof(long) ? "a whole number"
        : $"a {type.Name}";
}
