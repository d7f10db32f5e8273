using RaftOrleans.Hosting.Configuration;

namespace RaftOrleans.Silo;

/// <summary>`raft-silo --config silo-config/n1.json [--silo-port 11200] [--storage postgres] ...`: the file
/// and the overrides the launcher and the tests use (see <see cref="ConfigKeys.Overrides"/>).</summary>
public sealed record SiloCommandLine(string ConfigPath, IReadOnlyDictionary<string, string> Overrides)
{
    public const string Usage =
        "usage: raft-silo --config <silo-config/nX.json> [--node ID] [--silo-port P] [--gateway-port P] [--data-dir DIR] " +
        "[--storage sqlite|postgres] [--storage-connection CS] [--clustering sqlite|postgres] [--clustering-connection CS] " +
        "[--cluster-id ID] [--service-id ID] [--voters n1,n2,n3] [--join true] [--advertised-address IP] " +
        "[--tick-interval-ms N] [--election-ticks N] [--heartbeat-ticks N] [--pre-vote true|false] [--check-quorum true|false] " +
        "[--lease-reads true|false] [--propose-timeout-ms N] ...; every key can also be set by a RAFTORLEANS_ environment " +
        "variable (RAFTORLEANS_Raft__ElectionTicks=20), which an option overrides";

    public static SiloCommandLine Parse(IReadOnlyList<string> args)
    {
        string? configPath = null;
        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var option = args[i];
            if (option != "--config" && !ConfigKeys.Overrides.ContainsKey(option))
            {
                throw new ConfigException($"option {option}", $"unknown option ({Usage})");
            }

            if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ConfigException($"option {option}", "needs a value");
            }

            var value = args[++i];
            if (option == "--config")
            {
                configPath = value;
            }
            else
            {
                overrides[ConfigKeys.Overrides[option]] = value;
            }
        }

        return new SiloCommandLine(configPath ?? throw new ConfigException("option --config", $"missing ({Usage})"), overrides);
    }
}
