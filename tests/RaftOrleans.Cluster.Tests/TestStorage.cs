using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;
using RaftOrleans.Grains.Hosting;

namespace RaftOrleans.Cluster.Tests;

/// <summary>
/// Wraps the silo's real "raft" ADO.NET storage: counts every write with the size of its serialized
/// payload, and fails reads and writes on demand (as an unreachable database would).
/// </summary>
public sealed class TestGrainStorage(IGrainStorage inner, Serializer serializer) : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private readonly OrleansGrainStorageSerializer _sizer = new(serializer);

    public volatile bool Failing;

    /// <summary>Fails only the writes of this state name (as an unreachable database would), after the
    /// writes before it in the same persist went in.</summary>
    public volatile string? FailWritesOf;

    public ConcurrentQueue<(string StateName, int Bytes)> Writes { get; } = new();

    /// <summary>The first index of every segment row written, by row name (names do not say it).</summary>
    public ConcurrentDictionary<string, long> SegmentFirstIndexes { get; } = new();

    public int FailedWrites;

    /// <summary>How many of the next node-row writes go through to the database and are then reported as
    /// timeouts (the write committed, its answer was lost).</summary>
    public int CommitThenTimeOutNodeRowWrites;

    /// <summary>Every write fails with an error that no retry can heal (SQLite's "database disk image is
    /// malformed").</summary>
    public volatile bool Corrupt;

    /// <summary>Added to every write, as a disk's sync would: on a busy machine an unhindered SQLite write can
    /// finish before the next proposal even arrives, and then there is nothing to batch.</summary>
    public TimeSpan WriteDelay { get; set; }

    /// <summary>Replaces the keyed "raft" storage of the silo being configured with a wrapper and
    /// hands the wrapper to <paramref name="created"/>.</summary>
    public static void Install(ISiloBuilder silo, Action<TestGrainStorage> created)
    {
        silo.Services.AddKeyedSingleton<IGrainStorage>(RaftSiloBuilderExtensions.StorageProviderName, (sp, _) =>
        {
            var wrapper = new TestGrainStorage(AdoNetGrainStorageFactory.Create(sp, RaftSiloBuilderExtensions.StorageProviderName),
                sp.GetRequiredService<Serializer>());
            created(wrapper);
            return wrapper;
        });
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Failing) throw new IOException("injected storage failure (read)");
        return inner.ReadStateAsync(stateName, grainId, grainState);
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Failing || stateName == FailWritesOf)
        {
            Interlocked.Increment(ref FailedWrites);
            throw new IOException("injected storage failure (write)");
        }
        if (Corrupt)
        {
            Interlocked.Increment(ref FailedWrites);
            throw new Microsoft.Data.Sqlite.SqliteException("injected: database disk image is malformed", 11);
        }
        Writes.Enqueue((stateName, _sizer.Serialize(grainState.State).ToArray().Length));
        if (grainState.State is RaftOrleans.Grains.Storage.StoredLogSegment segment) SegmentFirstIndexes[stateName] = segment.FirstIndex;
        if (WriteDelay > TimeSpan.Zero) await Task.Delay(WriteDelay);
        await inner.WriteStateAsync(stateName, grainId, grainState);
        if (stateName == RaftOrleans.Grains.Storage.RaftNodeStore.NodeStateName && TakeOne(ref CommitThenTimeOutNodeRowWrites))
            throw new TimeoutException($"injected: {stateName} was written but the answer timed out");
    }

    private static bool TakeOne(ref int counter)
    {
        while (true)
        {
            var left = Volatile.Read(ref counter);
            if (left <= 0) return false;
            if (Interlocked.CompareExchange(ref counter, left - 1, left) == left) return true;
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);

    public void Participate(ISiloLifecycle lifecycle) => ((ILifecycleParticipant<ISiloLifecycle>)inner).Participate(lifecycle);
}
