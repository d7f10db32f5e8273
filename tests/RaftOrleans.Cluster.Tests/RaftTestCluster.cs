using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Hosting;
using RaftOrleans.Grains.Node;

namespace RaftOrleans.Cluster.Tests;

/// <summary>
/// An in-process Orleans cluster whose silos are named n1..nN, each hosting the Raft node of the same
/// name on its own SQLite file (or on a shared PostgreSQL database) under a fresh temporary folder.
/// Silos can be killed and started again under the same name; the node then reloads from its file.
/// </summary>
public sealed class RaftTestCluster : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _namesOfNextSilos = new();
    private readonly ConcurrentDictionary<string, InProcessSiloHandle> _silos = new();
    private readonly ConcurrentDictionary<string, bool> _joiners = new();
    private readonly Func<string, RaftStorageSettings> _storageOf;
    private readonly Action<string, ISiloBuilder>? _configure;
    private readonly Func<RaftNodeSettings, RaftNodeSettings>? _tune;

    private RaftTestCluster(IReadOnlyList<string> nodes, string dataDirectory, Func<string, RaftStorageSettings> storageOf,
        Action<string, ISiloBuilder>? configure, Func<RaftNodeSettings, RaftNodeSettings>? tune)
    {
        Nodes = nodes;
        DataDirectory = dataDirectory;
        _storageOf = storageOf;
        _configure = configure;
        _tune = tune;
    }

    public IReadOnlyList<string> Nodes { get; }

    public string DataDirectory { get; }

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public IRaftNodeGrain Node(string nodeId) => Client.GetGrain<IRaftNodeGrain>(nodeId);

    public InProcessSiloHandle Silo(string nodeId) => _silos[nodeId];

    /// <summary>Starts a cluster of <paramref name="nodeCount"/> voters n1..nN. <paramref name="storage"/> maps
    /// a node and the cluster's data folder to its storage (default: one SQLite file per node);
    /// <paramref name="configure"/> adds per-silo services (e.g. a failing storage);
    /// <paramref name="tune"/> adjusts each node's settings. <paramref name="startFirst"/> names the silos
    /// to start now (default: all); the other voters exist only in the configuration until
    /// <see cref="StartNodeAsync"/> starts them, as when an operator brings up a cluster node by node.</summary>
    public static async Task<RaftTestCluster> StartAsync(int nodeCount,
        Func<string, string, RaftStorageSettings>? storage = null, Action<string, ISiloBuilder>? configure = null,
        Func<RaftNodeSettings, RaftNodeSettings>? tune = null, IReadOnlyCollection<string>? startFirst = null)
    {
        var nodes = Enumerable.Range(1, nodeCount).Select(i => $"n{i}").ToArray();
        var first = startFirst ?? nodes;
        if (first.Count == 0 || first.Except(nodes).Any())
            throw new ArgumentException($"startFirst ({string.Join(",", first)}) must name some of {string.Join(",", nodes)}", nameof(startFirst));
        var dataDirectory = Path.Combine(Path.GetTempPath(), "raft-cluster-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dataDirectory);
        storage ??= (node, dir) => new RaftStorageSettings
        {
            Kind = DatabaseKind.Sqlite,
            ConnectionString = $"Data Source={Path.Combine(dir, node + ".db")}",
        };
        var result = new RaftTestCluster(nodes, dataDirectory, node => storage(node, dataDirectory), configure, tune);
        foreach (var node in nodes)
        {
            await RaftSiloBuilderExtensions.EnsureRaftStorageSchemaAsync(result._storageOf(node), CancellationToken.None);
            if (first.Contains(node)) result._namesOfNextSilos.Enqueue(node);
        }

        var builder = new InProcessTestClusterBuilder((short)first.Count);
        // Rows are keyed by service id: a shared PostgreSQL database must not hand one test's nodes
        // another test's state.
        builder.Options.ServiceId = "raft-test-" + Guid.NewGuid().ToString("N");
        builder.ConfigureSilo((options, siloBuilder) =>
        {
            if (!result._namesOfNextSilos.TryDequeue(out var node))
                throw new InvalidOperationException("a silo started without a node name queued for it");
            options.SiloName = node;
            siloBuilder.AddRaftNode(result.Settings(node));
            FileLogging.AddIfRequested(siloBuilder, node);
            result._configure?.Invoke(node, siloBuilder);
        });
        result.Cluster = builder.Build();
        await result.Cluster.DeployAsync();
        result.RecordSilos();
        return result;
    }

    public RaftNodeSettings Settings(string node)
    {
        var settings = new RaftNodeSettings { NodeId = node, Voters = _joiners.ContainsKey(node) ? [] : Nodes, Storage = _storageOf(node) };
        return _tune is null ? settings : _tune(settings);
    }

    /// <summary>Kills the silo of <paramref name="node"/> abruptly (no graceful deactivation).</summary>
    public async Task KillAsync(string node)
    {
        if (!_silos.TryRemove(node, out var silo)) throw new InvalidOperationException($"silo {node} is not running");
        await Cluster.KillSiloAsync(silo);
    }

    /// <summary>Starts a new silo for <paramref name="node"/>, on the same storage as before.</summary>
    public Task RestartAsync(string node) => StartNodeAsync(node);

    /// <summary>Starts the silo of <paramref name="node"/>, which is not running: never started yet, or killed.</summary>
    public async Task StartNodeAsync(string node)
    {
        if (!Nodes.Contains(node) && !_joiners.ContainsKey(node))
            throw new ArgumentException($"{node} is not a voter of this cluster ({string.Join(",", Nodes)}) nor a joiner", nameof(node));
        if (_silos.ContainsKey(node)) throw new InvalidOperationException($"silo {node} is already running");
        _namesOfNextSilos.Enqueue(node);
        var silo = await Cluster.StartAdditionalSiloAsync();
        _silos[node] = silo;
    }

    /// <summary>Starts a silo for a new node <paramref name="node"/> on fresh storage, with no configuration of
    /// its own (it joins a running cluster: a leader adds it as a learner). Restarts keep it a joiner.</summary>
    public async Task StartJoinerAsync(string node)
    {
        if (Nodes.Contains(node) || !_joiners.TryAdd(node, true)) throw new ArgumentException($"{node} is already a node of this cluster", nameof(node));
        await RaftSiloBuilderExtensions.EnsureRaftStorageSchemaAsync(_storageOf(node), CancellationToken.None);
        await StartNodeAsync(node);
    }

    private void RecordSilos()
    {
        foreach (var silo in Cluster.Silos)
        {
            var name = silo.ServiceProvider.GetRequiredService<ILocalSiloDetails>().Name;
            _silos[name] = silo;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Cluster.StopAllSilosAsync();
        }
        finally
        {
            await Cluster.DisposeAsync();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(DataDirectory, recursive: true); }
            catch (IOException) { /* a file still open by a dying silo: the temp folder is cleaned later */ }
        }
    }
}
