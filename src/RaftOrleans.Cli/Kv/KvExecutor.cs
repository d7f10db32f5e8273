using RaftOrleans.Client;
using RaftOrleans.KeyValue;

namespace RaftOrleans.Cli.Kv;

/// <summary>Runs one <see cref="KvRequest"/> against a client and turns the outcome into output and an exit
/// code (<see cref="ExitCodes"/>). Shared by the one-shot commands and the prompt.</summary>
public static class KvExecutor
{
    public static async Task<int> ExecuteAsync(KvRequest request, RaftKvClient client, TextWriter output, TextWriter error)
    {
        try
        {
            return await RunAsync(request, client, output, error);
        }
        catch (KvRequestException e)
        {
            await error.WriteLineAsync($"raftctl {request.Verb}: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (KvNoNodeRunningException e)
        {
            await error.WriteLineAsync($"raftctl {request.Verb}: {e.Message}; {KvConnection.HowToStart}");
            return ExitCodes.Unavailable;
        }
        catch (KvOutcomeUnknownException e)
        {
            await error.WriteLineAsync($"raftctl {request.Verb}: outcome unknown: {e.Message}");
            return ExitCodes.Unavailable;
        }
        catch (KvUnavailableException e)
        {
            await error.WriteLineAsync($"raftctl {request.Verb}: cluster unavailable: {e.Message}");
            return ExitCodes.Unavailable;
        }
    }

    private static async Task<int> RunAsync(KvRequest request, RaftKvClient client, TextWriter output, TextWriter error)
    {
        switch (request.Verb)
        {
            case "put":
                var written = await client.PutAsync(request.Key, request.Value!);
                await output.WriteLineAsync(request.Json ? Json(written) : $"OK (revision {written.ModRevision}, version {written.Version})");
                return ExitCodes.Done;
            case "get":
                var entry = request.Lease ? await client.GetLeasedAsync(request.Key) : await client.GetAsync(request.Key, request.Stale);
                if (entry is null)
                {
                    await error.WriteLineAsync($"raftctl get: key '{request.Key}' not found");
                    return ExitCodes.Refused;
                }
                await output.WriteLineAsync(request.Json ? Json(entry) : entry.Value);
                if (request.Stale) await error.WriteLineAsync("(stale read: served from one node's applied state, possibly behind the leader)");
                return ExitCodes.Done;
            case "del":
                if (!await client.DeleteAsync(request.Key))
                {
                    await error.WriteLineAsync($"raftctl del: key '{request.Key}' not found");
                    return ExitCodes.Refused;
                }
                await output.WriteLineAsync("OK (deleted)");
                return ExitCodes.Done;
            case "cas":
                var swap = await client.CasAsync(request.Key, request.Absent ? null : request.Expected, request.Value!);
                if (!swap.Swapped)
                {
                    var found = swap.Current is null ? "the key is absent" : $"its value is '{swap.Current.Value}'";
                    var wanted = request.Absent ? "absent" : $"'{request.Expected}'";
                    await error.WriteLineAsync($"raftctl cas: not swapped: expected {wanted}, but {found}");
                    return ExitCodes.Refused;
                }
                await output.WriteLineAsync($"OK (revision {swap.Revision})");
                return ExitCodes.Done;
            case "list":
                var listing = await client.ListAsync(request.Key, request.Limit, request.Stale);
                if (request.Json)
                {
                    await output.WriteLineAsync(System.Text.Json.JsonSerializer.Serialize(
                        new { entries = listing.Entries.Select(EntryObject), more = listing.More }));
                }
                else
                {
                    foreach (var item in listing.Entries)
                    {
                        await output.WriteLineAsync($"{item.Key}\t{item.Value}");
                    }
                    if (listing.More)
                    {
                        await output.WriteLineAsync($"(more than {request.Limit}; raise --limit)");
                    }
                }
                if (request.Stale) await error.WriteLineAsync("(stale read: served from one node's applied state, possibly behind the leader)");
                return ExitCodes.Done;
            case "leader":
                var leader = await client.FindLeaderAsync();
                if (leader is null)
                {
                    await error.WriteLineAsync("raftctl leader: the nodes that answered know no leader (election in progress?)");
                    return ExitCodes.Unavailable;
                }
                await output.WriteLineAsync(leader);
                return ExitCodes.Done;
            default:
                throw new UsageException($"unknown command '{request.Verb}'");
        }
    }

    /// <summary>One entry as etcdctl's -w json names its fields (key, value, create_revision, mod_revision, version).</summary>
    private static object EntryObject(KvEntry entry) => new Dictionary<string, object>
    {
        ["key"] = entry.Key, ["value"] = entry.Value, ["create_revision"] = entry.CreateRevision,
        ["mod_revision"] = entry.ModRevision, ["version"] = entry.Version,
    };

    private static string Json(KvEntry entry) => System.Text.Json.JsonSerializer.Serialize(EntryObject(entry));

    /// <summary>Checks a value against the state machine's limits without a connection (used for a clear line
    /// before connecting).</summary>
    public static string? Problem(KvRequest request)
    {
        KvOperation? operation = request.Verb switch
        {
            "put" => new PutOperation(request.Key, request.Value!),
            "get" => new GetOperation(request.Key),
            "del" => new DeleteOperation(request.Key),
            "cas" => new CasOperation(request.Key, request.Absent ? null : request.Expected, request.Value!),
            "list" => new ListOperation(request.Key, request.Limit),
            _ => null,
        };
        return operation is null ? null : KvValidation.Validate(operation, KvOptions.Default)?.Message;
    }
}
