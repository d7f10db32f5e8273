using RaftOrleans.Client;
using RaftOrleans.History;

namespace RaftOrleans.Cli.Kv;

/// <summary>Counts of finished operations, shared by the workers of one load run.</summary>
internal sealed class LoadTally
{
    private long _ok;
    private long _fail;
    private long _info;

    public long Ok => Interlocked.Read(ref _ok);
    public long Fail => Interlocked.Read(ref _fail);
    public long Info => Interlocked.Read(ref _info);

    public void Count(HistoryEventType type)
    {
        switch (type)
        {
            case HistoryEventType.Ok: Interlocked.Increment(ref _ok); break;
            case HistoryEventType.Fail: Interlocked.Increment(ref _fail); break;
            default: Interlocked.Increment(ref _info); break;
        }
    }

    public string Describe() => $"{Ok + Fail + Info} ops: ok {Ok}, fail {Fail}, info {Info}";
}

/// <summary>Hands out process numbers: 0..C-1 first, then fresh ones for clients that retire theirs after an info.</summary>
internal sealed class ProcessNumbers(int first)
{
    private int _next = first - 1;

    public int Fresh() => Interlocked.Increment(ref _next);
}

/// <summary>One load client: a loop of random put (40%), get (40%) and cas (20%) operations, each recorded
/// as an invocation and a completion. A cas expects the value this client last saw for the key (or absence),
/// so some swap and some are refused; a refused cas is recorded as an ok observation of the value the
/// store found, as a get of an absent key is an ok observation of absence.</summary>
internal sealed class LoadWorker(int index, RaftKvClient client, IReadOnlyList<string> keys, HistoryRecorder recorder,
    LoadTally tally, ProcessNumbers processNumbers, Random random, bool leaseReads = false)
{
    private readonly Dictionary<string, string?> _lastSeen = new(StringComparer.Ordinal);
    private readonly string _valuePrefix = $"c{index}-";
    private int _process = index;
    private long _writes;

    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var key = keys[random.Next(keys.Count)];
            var dice = random.Next(10);
            var type = dice switch
            {
                < 4 => await PutAsync(key),
                < 8 => await GetAsync(key),
                _ => await CasAsync(key),
            };
            tally.Count(type);
            if (type == HistoryEventType.Info)
            {
                // The operation may still take effect later: this process never invokes again (Jepsen's rule).
                _process = processNumbers.Fresh();
            }
        }
    }

    private string NextValue() => $"{_valuePrefix}{++_writes}";

    private async Task<HistoryEventType> PutAsync(string key)
    {
        var value = NextValue();
        return await RecordAsync(HistoryOperation.Put(key, value), async () =>
        {
            await client.PutAsync(key, value);
            _lastSeen[key] = value;
            return Completion.Ok;
        });
    }

    private async Task<HistoryEventType> GetAsync(string key) =>
        await RecordAsync(HistoryOperation.Get(key), async () =>
        {
            var entry = leaseReads ? await client.GetLeasedAsync(key) : await client.GetAsync(key);
            _lastSeen[key] = entry?.Value;
            return new Completion(HistoryEventType.Ok, entry?.Value, Refused: false);
        });

    private async Task<HistoryEventType> CasAsync(string key)
    {
        var expected = _lastSeen.GetValueOrDefault(key);
        var value = NextValue();
        return await RecordAsync(HistoryOperation.Cas(key, expected, value), async () =>
        {
            var swap = await client.CasAsync(key, expected, value);
            _lastSeen[key] = swap.Swapped ? value : swap.Current?.Value;
            // Refused is not "did not happen": it happened, and saw the key hold something else.
            return swap.Swapped ? Completion.Ok : new Completion(HistoryEventType.Ok, swap.Current?.Value, Refused: true);
        });
    }

    /// <summary>How an operation ended. <see cref="Observed"/>: what an ok get read, or what a refused cas
    /// found (null: absent).</summary>
    private readonly record struct Completion(HistoryEventType Type, string? Observed, bool Refused)
    {
        public static Completion Ok => new(HistoryEventType.Ok, null, false);
    }

    private async Task<HistoryEventType> RecordAsync(HistoryOperation operation, Func<Task<Completion>> run)
    {
        recorder.RecordInvoke(_process, operation);
        Completion completion;
        try
        {
            completion = await run();
        }
        catch (KvUnavailableException e) when (!e.MayHaveTakenEffect)
        {
            // The client says so only when every attempt was refused without effect.
            completion = new Completion(HistoryEventType.Fail, null, false);
        }
        catch (Exception)
        {
            // Timed out, answer lost, or anything unexpected: the operation may have happened.
            completion = new Completion(HistoryEventType.Info, null, false);
        }
        if (completion.Refused)
        {
            recorder.RecordCasRefused(_process, completion.Observed);
        }
        else
        {
            recorder.RecordCompletion(_process, completion.Type, completion.Observed);
        }
        return completion.Type;
    }
}
