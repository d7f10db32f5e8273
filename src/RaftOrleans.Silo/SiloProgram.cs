using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Orleans.Configuration;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.Grains.Storage;
using RaftOrleans.Hosting.Configuration;
using RaftOrleans.Hosting.Database;
using RaftOrleans.Silo.Observability;
using RaftOrleans.KeyValue.Raft;

namespace RaftOrleans.Silo;

/// <summary>The silo process: validate the configuration, prepare the databases, run until SIGTERM.
/// Every failure before the silo runs is ONE line on stderr naming the file and the key, and a non-zero
/// exit code (<see cref="ExitCodes"/>).</summary>
public static class SiloProgram
{
    public static async Task<int> RunAsync(string[] args)
    {
        NodeConfig config;
        RaftNodeSettings raft;
        try
        {
            var commandLine = SiloCommandLine.Parse(args);
            config = NodeConfigLoader.Load(commandLine.ConfigPath, commandLine.Overrides);
            raft = RaftSettingsBinding.Bind(config);
            CheckLogging(config);
            CheckPortsFree(config);
            await PrepareDatabasesAsync(config, raft);
        }
        catch (ConfigException e)
        {
            await Console.Error.WriteLineAsync($"raft-silo: {e.Message}");
            return ExitCodes.BadConfiguration;
        }

        using var host = BuildHost(config, raft);
        var logger = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("RaftOrleans.Silo");
        try
        {
            await host.StartAsync();
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"raft-silo: {config.NodeId}: the silo failed to start: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            return ExitCodes.StartFailed;
        }

        logger.Up(config.NodeId, config.AdvertisedAddress, config.SiloPort, config.GatewayPort,
            config.MetricsPort is { } metricsPort ? $"http://{config.AdvertisedAddress}:{metricsPort}/metrics" : "off", config.ClusterId,
            config.Storage.Describe(), config.Clustering.Describe(), string.Join(",", config.Voters));
        await host.WaitForShutdownAsync();
        logger.Stopped(config.NodeId);
        return ExitCodes.Ok;
    }

    private static void CheckPortsFree(NodeConfig config)
    {
        var ports = new List<(string, int)> { (ConfigKeys.SiloPort, config.SiloPort), (ConfigKeys.GatewayPort, config.GatewayPort) };
        if (config.MetricsPort is { } metricsPort) ports.Add((ConfigKeys.MetricsPort, metricsPort));
        foreach (var (key, port) in ports)
        {
            if (PortCheck.Problem(config.AdvertisedAddress, port) is { } problem)
            {
                throw new ConfigException(Origin(config, key), problem);
            }
        }
    }

    /// <summary>Opens both databases and creates their tables, so that a wrong or unreachable database stops
    /// the silo here with a line that names the key, not deep inside Orleans' start.</summary>
    private static async Task PrepareDatabasesAsync(NodeConfig config, RaftNodeSettings raft)
    {
        Directory.CreateDirectory(config.DataDirectory);
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await Prepare(config, ConfigKeys.ClusteringConnection, config.Clustering,
            () => ClusteringSchema.ApplyAsync(config.Clustering, limit.Token));
        await Prepare(config, ConfigKeys.StorageConnection, config.Storage,
            () => RaftSiloBuilderExtensions.EnsureRaftStorageSchemaAsync(raft.Storage, limit.Token));
    }

    private static async Task Prepare(NodeConfig config, string key, DatabaseConnection database, Func<Task> prepare)
    {
        try
        {
            if (database.Kind == DatabaseKind.Sqlite)
            {
                var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            }

            await prepare();
        }
        catch (Exception e) when (e is System.Data.Common.DbException or IOException or UnauthorizedAccessException
                                       or TimeoutException or OperationCanceledException or InvalidOperationException
                                       or RaftStorageUnavailableException)
        {
            var reason = (e is RaftStorageUnavailableException && e.InnerException is { } inner ? inner : e).Message;
            throw new ConfigException(Origin(config, key), $"cannot use {database.Describe()}: {reason.Split('\n')[0].Trim()}", e);
        }
    }

    private static string Origin(NodeConfig config, string key) => config.Origin(key);

    private static IHost BuildHost(NodeConfig config, RaftNodeSettings raft)
    {
        AdoNetProviders.Register();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "raft-silo",
        });
        ConfigureLogging(builder.Logging, config);
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(options =>
            {
                options.ClusterId = config.ClusterId;
                options.ServiceId = config.ServiceId;
            });
            silo.Configure<SiloOptions>(options => options.SiloName = config.NodeId);
            silo.ConfigureEndpoints(config.AdvertisedAddress, config.SiloPort, config.GatewayPort);
            silo.UseAdoNetClustering(options =>
            {
                options.Invariant = config.Clustering.Kind.AdoNetInvariant();
                options.ConnectionString = config.Clustering.ForClustering().ConnectionString;
            });
            silo.Configure<ClusterMembershipOptions>(MembershipTuning.Apply);
            silo.Configure<SiloMessagingOptions>(MembershipTuning.Apply);
            silo.Configure<ConnectionOptions>(MembershipTuning.Apply);
            silo.AddRaftNode(raft);
            silo.UseStateMachine(new KvNodeStateMachineFactory()); // every real silo serves the replicated key-value store
        });
        builder.AddObservability(config); // /metrics, /healthz, /readyz and OTLP, when configured
        return builder.Build();
    }

    /// <summary>Where the node file's "logging" section starts from: concise lines (one per message), warnings and
    /// errors from everything, information only from RaftOrleans (role changes, start and stop), so `raftctl cluster
    /// logs nX` reads as a story. Any of it can be set in the section (Microsoft.Extensions.Logging's layout), e.g.
    /// "logging": { "logLevel": { "RaftOrleans": "Debug" }, "console": { "formatterName": "json" } }.</summary>
    private static readonly Dictionary<string, string?> LoggingDefaults = new(StringComparer.OrdinalIgnoreCase)
    {
        ["logging:logLevel:Default"] = "Warning",
        ["logging:logLevel:RaftOrleans"] = "Information",
        // Its only warnings are start-up notes about the GC mode, printed on every start.
        ["logging:logLevel:Orleans.Runtime.Silo"] = "Error",
        // Orleans' placement retries log every attempt through Polly; the failure itself is logged once more
        // by Orleans' messaging, so these only repeat it.
        ["logging:logLevel:Polly"] = "Critical",
        ["logging:console:formatterName"] = ConciseConsoleFormatter.FormatterName,
        ["logging:console:logToStandardErrorThreshold"] = "Warning",
    };

    private static readonly string[] ConsoleFormats = [ConciseConsoleFormatter.FormatterName, ConsoleFormatterNames.Json, ConsoleFormatterNames.Simple, ConsoleFormatterNames.Systemd];

    /// <summary>A level or console format Microsoft.Extensions.Logging does not know fails here, with its origin,
    /// rather than at the first log line.</summary>
    private static void CheckLogging(NodeConfig config)
    {
        foreach (var value in config.Logging)
        {
            var path = value.Path.ToLowerInvariant();
            if (path.Contains(":loglevel:", StringComparison.Ordinal) && !Enum.TryParse<LogLevel>(value.Value, ignoreCase: true, out _))
            {
                throw new ConfigException(value.Origin, $"'{value.Value}' is not a log level ({string.Join(", ", Enum.GetNames<LogLevel>())})");
            }

            if (path.EndsWith(":console:formattername", StringComparison.Ordinal) && !ConsoleFormats.Contains(value.Value, StringComparer.OrdinalIgnoreCase))
            {
                throw new ConfigException(value.Origin, $"'{value.Value}' is not a console format ({string.Join(", ", ConsoleFormats)})");
            }
        }
    }

    private static void ConfigureLogging(ILoggingBuilder logging, NodeConfig config)
    {
        var section = new Dictionary<string, string?>(LoggingDefaults, StringComparer.OrdinalIgnoreCase);
        foreach (var value in config.Logging)
        {
            section[value.Path] = value.Value;
        }

        logging.ClearProviders();
        logging.AddConfiguration(new ConfigurationBuilder().AddInMemoryCollection(section).Build().GetSection(ConfigKeys.LoggingSection));
        logging.AddConsole();
        logging.AddConsoleFormatter<ConciseConsoleFormatter, ConsoleFormatterOptions>();
    }
}

public static class ExitCodes
{
    public const int Ok = 0;
    public const int BadConfiguration = 2;
    public const int StartFailed = 3;
}
