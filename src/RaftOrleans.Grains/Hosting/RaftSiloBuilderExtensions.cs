using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Serialization;
using Orleans.Storage;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Faults;
using RaftOrleans.Grains.Node;
using RaftOrleans.Raft.StateMachine;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.Grains.Metrics;
using RaftOrleans.Grains.Placement;
using RaftOrleans.Grains.Storage;

namespace RaftOrleans.Grains.Hosting;

public static class RaftSiloBuilderExtensions
{
    /// <summary>The name of the ADO.NET grain storage provider that holds the node's state.</summary>
    public const string StorageProviderName = "raft";

    /// <summary>The grain directory that records where the node grains live (see <see cref="AddRaftNode"/>).</summary>
    public const string NodeDirectoryName = "raft-nodes";

    /// <summary>Makes this silo's Raft node run the application that <paramref name="stateMachines"/> creates
    /// (the key-value store: <c>new KvNodeStateMachineFactory()</c>) instead of whatever was registered before
    /// (AddRaftNode's default is the recording one). Call it before or after AddRaftNode.</summary>
    public static ISiloBuilder UseStateMachine(this ISiloBuilder builder, IRaftStateMachineFactory stateMachines)
    {
        ArgumentNullException.ThrowIfNull(stateMachines);
        builder.Services.Replace(ServiceDescriptor.Singleton(stateMachines));
        return builder;
    }

    /// <summary>
    /// Makes this silo the home of Raft node <see cref="RaftNodeSettings.NodeId"/>: registers the
    /// ADO.NET grain storage provider "raft" (binary Orleans serialization), the pinned placement
    /// director, the lifecycle participant that activates the node when the silo starts and keeps it
    /// active, and the default state machine (<see cref="RecordingStateMachineFactory"/>) unless an
    /// <see cref="IRaftStateMachineFactory"/> is registered. It names the silo after the node
    /// (<see cref="SiloOptions.SiloName"/>); a silo renamed afterwards fails at start.
    /// Call <see cref="EnsureRaftStorageSchemaAsync"/> before starting the silo.
    /// </summary>
    public static ISiloBuilder AddRaftNode(this ISiloBuilder builder, RaftNodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton<RaftNodeMetrics>();
        // The node is pinned to the silo of its own name; RaftNodeActivator checks nobody renamed it.
        builder.Configure<SiloOptions>(options => options.SiloName = settings.NodeId);
        services.TryAddSingleton<IRaftStateMachineFactory, RecordingStateMachineFactory>();

        builder.AddAdoNetGrainStorage(StorageProviderName, options =>
        {
            options.Invariant = settings.Storage.AdoInvariant;
            if (settings.Storage.Kind != DatabaseKind.Sqlite) options.ConnectionString = settings.Storage.ConnectionString;
        });
        if (settings.Storage.Kind == DatabaseKind.Sqlite)
        {
            // Prepared statements that outlive a call (StatementCachingSqliteDataSource); the container owns and
            // disposes the data source with the silo.
            services.AddSingleton(_ => new StatementCachingSqliteDataSource(settings.Storage.ConnectionString));
            services.AddOptions<AdoNetGrainStorageOptions>(StorageProviderName)
                .Configure<StatementCachingSqliteDataSource>((options, dataSource) => options.DataSource = dataSource);
        }
        // Binary rather than the default JSON: log entries are byte arrays, which JSON would inflate by
        // a third (base64) and wrap in type names. Timed, for the write-stage breakdown.
        services.AddOptions<AdoNetGrainStorageOptions>(StorageProviderName)
            .Configure<Serializer, RaftNodeMetrics>((options, serializer, metrics) =>
                options.GrainStorageSerializer = new TimedGrainStorageSerializer(new OrleansGrainStorageSerializer(serializer), metrics));

        builder.AddPlacementDirector<RaftNodePlacementStrategy, RaftNodePlacementDirector>();
        // Orleans' default directory is eventually consistent: when a silo dies, every activation whose
        // directory entry that silo held is deactivated ("DirectoryFailure"), so killing one silo restarted the
        // node grains of healthy silos, the leader's among them, mid-failover. Its strongly consistent directory
        // kept them, but made a lookup of a live node wait for the dead silo's range to be recovered. A pinned
        // grain's place follows from its name, so its directory answers from membership (PinnedGrainDirectory).
        builder.AddGrainDirectory(NodeDirectoryName,
            (sp, _) => new PinnedGrainDirectory(sp.GetRequiredService<IClusterMembershipService>(), sp.GetRequiredService<ILocalSiloDetails>()));
        services.AddSingleton<RaftNodeActivator>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<RaftNodeActivator>());
        AddNetworkFaults(builder);
        return builder;
    }

    /// <summary>Fault injection between Raft nodes (`raftctl partition|isolate|drop|delay|heal`): this
    /// silo's copy of the fault table, the grain the console sets it through, the pull from peers that
    /// keeps it current, and the outgoing filter that enforces it on Raft deliveries only.</summary>
    private static void AddNetworkFaults(ISiloBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<NetworkFaultState>();
        services.AddSingleton<NetworkFaultSync>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<NetworkFaultSync>());
        builder.AddOutgoingGrainCallFilter<PeerTrafficFaultFilter>();
    }

    /// <summary>Creates the tables and query texts the "raft" storage provider needs (idempotent); run
    /// it before the silo starts. Throws <see cref="RaftStorageUnavailableException"/> naming the
    /// database (without credentials) when it is unreachable or refuses the schema.</summary>
    public static Task EnsureRaftStorageSchemaAsync(RaftStorageSettings storage, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return RaftStorageSchema.EnsureAsync(storage, ct);
    }
}
