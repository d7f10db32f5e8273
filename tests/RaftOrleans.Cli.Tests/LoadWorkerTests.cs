using RaftOrleans.Cli.Kv;
using RaftOrleans.Client;
using RaftOrleans.Contracts;
using RaftOrleans.History;
using RaftOrleans.History.Checker;
using RaftOrleans.KeyValue;
using RaftOrleans.KeyValue.Encoding;

namespace RaftOrleans.Cli.Tests;

/// <summary>`raftctl load`'s workers against a one-node store, their history read back as `raftctl check`
/// reads it: a refused cas is recorded as what it observed, so a store that wrongly refuses is caught.</summary>
public sealed class LoadWorkerTests
{
    private const int Clients = 3;

    [Fact]
    public async Task A_correct_store_gives_a_linearizable_history_with_refused_cas_recorded_as_observations()
    {
        var (events, result) = await RunLoad(new OneNodeStore());

        Assert.True(result.Verdict == CheckVerdict.Linearizable, result.Describe());
        Assert.Contains(events, e => e is { Type: HistoryEventType.Ok, Function: HistoryFunction.Cas, Refused: true });
        Assert.DoesNotContain(events, e => e.Type == HistoryEventType.Fail);
    }

    [Fact]
    public async Task A_store_that_refuses_a_cas_whose_expectation_held_is_caught()
    {
        var (_, result) = await RunLoad(new OneNodeStore { RefuseCasWhoseExpectationHolds = true });

        Assert.True(result.Verdict == CheckVerdict.NotLinearizable, result.Describe());
    }

    private static async Task<(List<HistoryEvent> Events, CheckResult Result)> RunLoad(OneNodeStore store)
    {
        var keys = Enumerable.Range(0, 4).Select(i => $"k{i}").ToArray();
        var text = new StringWriter();
        using (var recorder = new HistoryRecorder(text))
        {
            var processNumbers = new ProcessNumbers(Clients);
            var workers = Enumerable.Range(0, Clients).Select(i =>
            {
                var client = new RaftKvClient(store, new RaftKvClientOptions { Seed = i });
                var worker = new LoadWorker(i, client, keys, recorder, new LoadTally(), processNumbers, new Random(i));
                return Task.Run(() => worker.RunAsync(store.Stop));
            });
            await Task.WhenAll(workers);
        }
        var events = HistoryJson.ReadAll(new StringReader(text.ToString()));
        return (events, LinearizabilityChecker.Check(events, TimeSpan.FromMinutes(1)));
    }

    /// <summary>One node in front of a real state machine, serving every call at once; it trips
    /// <see cref="Stop"/> after a few hundred proposals. With <see cref="RefuseCasWhoseExpectationHolds"/>
    /// it answers such a cas CompareFailed with the entry it found, as a broken comparison would.</summary>
    private sealed class OneNodeStore : IRaftNodeChannel
    {
        private const int Proposals = 400;
        private readonly object _gate = new();
        private readonly KvStateMachine _machine = new();
        private readonly CancellationTokenSource _stop = new();

        public bool RefuseCasWhoseExpectationHolds { get; init; }

        public CancellationToken Stop => _stop.Token;

        public IReadOnlyList<string> Nodes { get; } = ["n1"];

        public async Task<ClientReply> ProposeAsync(string node, byte[] command, CancellationToken cancellationToken)
        {
            // Answers asynchronously, so that the clients interleave (and see each other's writes) rather
            // than one running to the end at once.
            await Task.Yield();
            lock (_gate)
            {
                var decoded = KvCommandCodec.Decode(command);
                var found = decoded.Operation is CasOperation cas ? _machine.Query(new GetOperation(cas.Key)).Entry : null;
                var result = RefuseCasWhoseExpectationHolds && decoded.Operation is CasOperation matching && found?.Value == matching.Expected
                    ? KvResult.WithEntry(KvStatus.CompareFailed, _machine.Revision, found)
                    : _machine.Apply(_machine.AppliedIndex + 1, 1_000, decoded);
                if (_machine.AppliedIndex >= Proposals)
                {
                    _stop.Cancel();
                }
                return new ClientReply(ClientReplyStatus.Applied, _machine.AppliedIndex, 1, KvResultCodec.Encode(result), null);
            }
        }

        public async Task<ClientReply> ReadAsync(string node, KvOperation query, bool allowStale, CancellationToken cancellationToken)
        {
            await Task.Yield();
            lock (_gate)
            {
                return new ClientReply(ClientReplyStatus.Applied, _machine.AppliedIndex, 1, KvResultCodec.Encode(_machine.Query(query)), null);
            }
        }

        public Task<NodeStatus> GetStatusAsync(string node, CancellationToken cancellationToken) =>
            Task.FromResult(new NodeStatus(node, node, NodeRole.Leader, 1, node, _machine.AppliedIndex, _machine.AppliedIndex, _machine.AppliedIndex, 0));
    }
}
