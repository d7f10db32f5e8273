using System.Collections.Concurrent;
using Orleans.Storage;

namespace RaftOrleans.Cluster.Tests;

/// <summary>Grain storage in a dictionary with the ETag rules of the SQL scripts: no ETag inserts only,
/// an ETag updates only the row that still has it. For store-level tests that need no silo; it can
/// fail the next writes of one state name on demand.</summary>
public sealed class InMemoryGrainStorage : IGrainStorage
{
    private readonly ConcurrentDictionary<(string, GrainId), (object State, int Version)> _rows = new();

    public string? FailWritesOf { get; set; }

    /// <summary>The next write of a state name starting with this is stored and then reported as a
    /// timeout, as when the database commits but the answer is lost; then the setting clears itself.</summary>
    public string? CommitThenTimeOutNextWriteOf { get; set; }

    public int RowCount => _rows.Count;

    /// <summary>ClearStateAsync calls so far (each is one statement, one transaction, on a database).</summary>
    public int Clears => _clears;

    private int _clears;

    /// <summary>Deletes rows whose state name starts with <paramref name="prefix"/> (a damaged database).</summary>
    public void DeleteRowsOf(string prefix)
    {
        foreach (var key in _rows.Keys.Where(k => k.Item1.StartsWith(prefix, StringComparison.Ordinal))) _rows.TryRemove(key, out _);
    }

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_rows.TryGetValue((stateName, grainId), out var row))
        {
            grainState.State = (T)row.State;
            grainState.ETag = row.Version.ToString();
            grainState.RecordExists = true;
        }
        else
        {
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (FailWritesOf is not null && stateName.StartsWith(FailWritesOf, StringComparison.Ordinal))
            throw new IOException($"injected failure writing {stateName}");
        lock (_rows)
        {
            var exists = _rows.TryGetValue((stateName, grainId), out var row);
            var ok = grainState.ETag is null ? !exists : exists && row.Version.ToString() == grainState.ETag;
            if (!ok) throw new InconsistentStateException($"version conflict on {stateName}: held {grainState.ETag}, stored {(exists ? row.Version : null)}");
            var version = exists ? row.Version + 1 : 1;
            _rows[(stateName, grainId)] = (grainState.State!, version);
            if (CommitThenTimeOutNextWriteOf is { } prefix && stateName.StartsWith(prefix, StringComparison.Ordinal))
            {
                CommitThenTimeOutNextWriteOf = null;
                throw new TimeoutException($"injected: {stateName} was written but the answer timed out");
            }
            grainState.ETag = version.ToString();
            grainState.RecordExists = true;
        }
        return Task.CompletedTask;
    }

    /// <summary>Deletes the row if it still has the given ETag, as the ClearStorageKey scripts do; a batch
    /// name deletes every listed row that is there, as they do too.</summary>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Interlocked.Increment(ref _clears);
        if (FailWritesOf is not null && stateName.StartsWith(FailWritesOf, StringComparison.Ordinal))
            throw new IOException($"injected failure clearing {stateName}");
        lock (_rows)
        {
            if (stateName.StartsWith(RaftOrleans.Grains.Storage.RaftNodeStore.DeleteRowsPrefix, StringComparison.Ordinal))
            {
                foreach (var name in stateName[RaftOrleans.Grains.Storage.RaftNodeStore.DeleteRowsPrefix.Length..].Split(','))
                    _rows.TryRemove((name, grainId), out _);
                grainState.ETag = (long.Parse(grainState.ETag!) + 1).ToString();
                return Task.CompletedTask;
            }
            if (!_rows.TryGetValue((stateName, grainId), out var row) || row.Version.ToString() != grainState.ETag)
                throw new InconsistentStateException($"version conflict clearing {stateName}: held {grainState.ETag}");
            _rows.TryRemove((stateName, grainId), out _);
            grainState.ETag = (row.Version + 1).ToString();
            grainState.RecordExists = false;
        }
        return Task.CompletedTask;
    }

    /// <summary>The stored state of a row of any grain (tests use one grain per storage).</summary>
    public T Peek<T>(string stateName) =>
        (T)_rows.Single(row => row.Key.Item1 == stateName).Value.State;

    public IReadOnlyList<string> StateNames => _rows.Keys.Select(k => k.Item1).Order(StringComparer.Ordinal).ToArray();
}
