using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;

namespace RaftOrleans.Hosting.Configuration;

/// <summary>One setting as the layers left it: its path (sections joined by ':', as Microsoft.Extensions.Configuration
/// spells them, e.g. "raft:electionTicks"), its text, and where that text came from ("silo-config/n1.json:
/// raft.electionTicks", "environment variable RAFTORLEANS_Raft__ElectionTicks" or "option --election-ticks").</summary>
public sealed record ConfigValue(string Path, string Value, string Origin);

/// <summary>A JSON file, then environment variables with a prefix, then command-line options, read through
/// Microsoft.Extensions.Configuration; a later layer overrides an earlier one key by key. Unlike a plain
/// <see cref="IConfiguration"/> it keeps, for every value, the layer it came from, so that an error can name
/// the file and key, the variable, or the option. Keys starting with '_' (at any depth) are comments.
/// An array (e.g. "voters": ["n1", "n2"]) is one value, its items joined by commas, and a layer that gives it
/// replaces it whole: `--voters n1,n2` replaces the file's array.</summary>
public static class ConfigLayers
{
    /// <param name="listPaths">Paths whose value is an array in JSON (case-insensitive).</param>
    /// <param name="options">Path → (option name, value), the last layer.</param>
    /// <param name="environmentPath">Which variables are this process's, and their path in the file's layout (null:
    /// not ours): the silo and the client share the prefix, the client's keys under RAFTORLEANS_Client__.</param>
    public static IReadOnlyDictionary<string, ConfigValue> Read(string configPath, string environmentPrefix,
        IReadOnlyDictionary<string, (string Option, string Value)> options, IReadOnlySet<string> listPaths,
        Func<string, string?> environmentPath)
    {
        if (!File.Exists(configPath))
        {
            throw new ConfigException(configPath, "no such file");
        }

        IConfigurationRoot root;
        try
        {
            root = new ConfigurationBuilder()
                .AddJsonFile(Path.GetFullPath(configPath), optional: false, reloadOnChange: false)
                .AddEnvironmentVariables(environmentPrefix)
                .AddInMemoryCollection(options.Select(pair => KeyValuePair.Create(pair.Key, (string?)pair.Value.Value)))
                .Build();
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or IOException)
        {
            throw new ConfigException(configPath, JsonProblem(e));
        }

        var merged = new Dictionary<string, ConfigValue>(StringComparer.OrdinalIgnoreCase);
        foreach (var provider in root.Providers)
        {
            Func<string, string> origin = provider switch
            {
                JsonConfigurationProvider => path => $"{configPath}: {path.Replace(':', '.')}",
                EnvironmentVariablesConfigurationProvider => path => $"environment variable {environmentPrefix}{path.Replace(":", "__", StringComparison.Ordinal)}",
                _ => path => $"option {options[path].Option}",
            };
            var isEnvironment = provider is EnvironmentVariablesConfigurationProvider;
            foreach (var (path, value) in Leaves(provider, parent: null, listPaths, isEnvironment ? environmentPath : path => path))
            {
                var key = isEnvironment ? environmentPath(path)! : path;
                merged[key] = new ConfigValue(key, value, origin(path));
            }
        }

        return merged;
    }

    /// <summary>The provider's values, arrays joined into one, comments left out.</summary>
    private static IEnumerable<(string Path, string Value)> Leaves(IConfigurationProvider provider, string? parent,
        IReadOnlySet<string> listPaths, Func<string, string?> mapped)
    {
        foreach (var child in provider.GetChildKeys([], parent).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (child.StartsWith('_'))
            {
                continue;
            }

            var path = parent is null ? child : ConfigurationPath.Combine(parent, child);
            var children = provider.GetChildKeys([], path).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
            if (mapped(path) is { } listed && listPaths.Contains(listed))
            {
                var items = children.OrderBy(index => int.TryParse(index, out var number) ? number : int.MaxValue)
                    .Select(index => provider.TryGet(ConfigurationPath.Combine(path, index), out var item) ? item ?? "" : "");
                var own = provider.TryGet(path, out var scalar) ? scalar ?? "" : "";
                yield return (path, children.Length > 0 ? string.Join(",", items) : own);
            }
            else if (children.Length > 0)
            {
                foreach (var leaf in Leaves(provider, path, listPaths, mapped))
                {
                    yield return leaf;
                }
            }
            else if (mapped(path) is not null && provider.TryGet(path, out var value))
            {
                yield return (path, value ?? "");
            }
        }
    }

    private static string JsonProblem(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is JsonException json)
            {
                return $"not valid JSON (line {json.LineNumber + 1}): {json.Message.Split('\n')[0].Trim()}";
            }
        }

        return $"not valid JSON: {(e.InnerException ?? e).Message.Split('\n')[0].Trim()}";
    }
}
