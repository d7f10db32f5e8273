using Xunit.Abstractions;

namespace RaftOrleans.Raft.Tests.Mutants;

/// <summary>
/// Proof that the seeded simulator bites (testing.md §5): each deliberate bug below, built into a copy of
/// the core, must be caught by the random
/// runs within the CI seed range, on their own, without a test written for that bug.
/// <para>Each row names the first CI seed that caught the bug. The test runs that seed; if the simulator
/// changed so that it no longer catches the bug, the test searches the CI range and says which seed
/// does now (update the row) or that none does (strengthen the simulator).</para>
/// </summary>
public sealed class CoreMutantTests(ITestOutputHelper output)
{
    private const int CiSeeds = 2000;
    private const int TicksPerSeed = 2000;

    private const string Replication = "src/RaftOrleans.Raft/RaftNode.Replication.cs";
    private const string Election = "src/RaftOrleans.Raft/RaftNode.Election.cs";
    private const string Membership = "src/RaftOrleans.Raft/RaftNode.Membership.cs";
    private const string Transfer = "src/RaftOrleans.Raft/RaftNode.Transfer.cs";
    private const string Node = "src/RaftOrleans.Raft/RaftNode.cs";
    private const string ReadyFile = "src/RaftOrleans.Raft/Ready.cs";
    private const string Reads = "src/RaftOrleans.Raft/RaftNode.Reads.cs";

    private static readonly Dictionary<string, SourceEdit[]> Catalogue = new()
    {
        // §5.4.2, Figure 8: a leader counts replicas of an entry from an earlier term.
        ["figure-8-commit-rule-dropped"] =
        [
            new(Replication, "if (quorumIndex <= _log.Committed || _log.TermAt(quorumIndex) != Term) return false;",
                "if (quorumIndex <= _log.Committed) return false;"),
        ],
        // §5.4.1: votes go to candidates whose log is behind.
        ["election-restriction-dropped"] =
        [
            new(Election, "var granted = canVote && _log.IsUpToDate(request.LastLogIndex, request.LastLogTerm);",
                "var granted = canVote;"),
        ],
        // Figure 2, AppendEntries rule 5 with the follower's own last index instead of the last new entry.
        ["follower-commit-without-min-of-last-new-entry"] =
        [
            new(Replication, "_log.CommitTo(Math.Min(append.LeaderCommit, matched));",
                "_log.CommitTo(Math.Min(append.LeaderCommit, _log.LastIndex));"),
        ],
        // The asynchronous loop contract: a follower's acknowledgement leaves before the entries it
        // acknowledges are durable (caught in the seeds that run with asynchronous writes).
        ["acknowledgement-before-the-write"] =
        [
            new(ReadyFile, "AppendEntriesResponse or InstallSnapshotResponse => true,", "InstallSnapshotResponse => true,"),
        ],
        // §10.2.1: a leader whose own write is still in flight counts itself towards a commit.
        ["leader-counts-its-own-unwritten-entries"] =
        [
            new(Replication, "QuorumReached(_log.StableIndex, progress => progress.Match)", "QuorumReached(_log.LastIndex, progress => progress.Match)"),
        ],
        // Figure 2: votedFor is persistent state; here it never reaches the disk.
        ["vote-not-persisted"] =
        [
            new(Node, "private HardState HardState => new(Term, VotedFor, _log.Committed);",
                "private HardState HardState => new(Term, null, _log.Committed);"),
        ],
        // §6.4.1 with §3.10: the lease survives a leadership transfer (safety review, defect 2).
        ["lease-kept-across-a-transfer"] =
        [
            new(Transfer, "        _leaseRevokedByTransfer = true;\n        _leaseStartTick = -1;\n", ""),
        ],
        // §6.4.1: a lease, once begun, never runs out: a deposed leader that still believes it leads (cut off
        // from the others) answers lease reads from its old state after the others elected a new leader.
        ["lease-never-expires"] =
        [
            new(Reads, "LeaseNow() < _leaseStartTick + LeaseLength;", "LeaseNow() >= 0;"),
        ],
        // Dissertation §4.1: a joining node builds its configuration from change entries on an empty
        // base, so it believes it is the only voter (safety review, defect 1).
        ["joining-node-with-a-one-node-configuration"] =
        [
            new(Membership, "ConfigChangeEntry.Decode(entry.Data, Config).Result));\n        SyncProgressWithConfig();",
                "Config.Apply(ConfigChangeEntry.Decode(entry.Data, Config).Change)));\n        SyncProgressWithConfig();"),
            new(Membership, "continue;\n            _configs.Add(new ConfigInForce(entry.Index, entry.Term, ConfigChangeEntry.Decode(entry.Data, Config).Result));",
                "continue;\n            _configs.Add(new ConfigInForce(entry.Index, entry.Term, Config.Apply(ConfigChangeEntry.Decode(entry.Data, Config).Change)));"),
        ],
    };

    public static TheoryData<string, int> Mutants => new()
    {
        { "figure-8-commit-rule-dropped", 50 },
        { "election-restriction-dropped", 2 },
        { "follower-commit-without-min-of-last-new-entry", 197 },
        { "acknowledgement-before-the-write", 25 },
        { "leader-counts-its-own-unwritten-entries", 1525 },
        { "vote-not-persisted", 86 },
        { "lease-kept-across-a-transfer", 690 },
        { "lease-never-expires", 648 },
        { "joining-node-with-a-one-node-configuration", 52 },
    };

    [Theory]
    [MemberData(nameof(Mutants))]
    public void The_random_runs_catch_the_deliberate_bug(string bug, int firstCatchingSeed)
    {
        var mutant = MutantBuild.Compile(bug, Catalogue[bug]);
        if (firstCatchingSeed >= 0)
        {
            var (passed, verdict) = mutant.RunSeed(firstCatchingSeed, TicksPerSeed);
            if (!passed)
            {
                output.WriteLine($"{bug}: caught by seed {firstCatchingSeed}: {verdict}");
                // The same seed passes on the real core, so it was the bug that was caught.
                Assert.True(Simulation.RandomRun.Execute(Simulation.RandomRunOptions.Chaos(firstCatchingSeed,
                    3 + firstCatchingSeed % 5, TicksPerSeed)).Passed, $"seed {firstCatchingSeed} fails on the real core too");
                return;
            }
        }
        for (var seed = 0; seed < CiSeeds; seed++)
        {
            var (passed, verdict) = mutant.RunSeed(seed, TicksPerSeed);
            if (!passed)
                Assert.Fail($"{bug}: seed {firstCatchingSeed} does not catch it (any more); the first CI seed that does is {seed}: " +
                            $"{verdict}. Put {seed} in the row.");
        }
        Assert.Fail($"{bug}: not caught by any of the {CiSeeds} CI seeds; the simulator must be made to find it");
    }

    [Fact]
    public void Every_bug_in_the_catalogue_has_a_row()
    {
        Assert.Equal(Catalogue.Keys.Order(), Mutants.Select(row => (string)row[0]).Order());
    }
}
