using RaftOrleans.Client.Connections;
using RaftOrleans.Contracts;

namespace RaftOrleans.Cli.Demo;

/// <summary>
/// The original proposal's demonstrations (shared/seed), each step narrated, checked against what Raft
/// requires, and followed by the status table.
/// </summary>
public sealed class DemoScenarios(DemoCluster cluster, TextWriter output)
{
    // How long a step waits for its condition (a leader, nodes caught up): generous, since every wait ends as
    // soon as the condition holds. On a machine saturated by other work (a 16-client `raftctl bench` beside
    // it, load 14 on 2 cores) restarted silos took over 30 s to start, be declared dead by Orleans while
    // starved, start again and catch up, and three steps of one run failed at 30 s.
    private static readonly TimeSpan ElectionLimit = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(3);
    // Commands to a leader that has a majority: they commit as soon as it can; on a loaded machine that waits
    // for restarted silos to warm up and for Orleans to declare killed ones dead (5 s was too short there).
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(20);
    // Reading a node's log just after it restarted: it answers only once its silo is up and warm.
    private static readonly TimeSpan ReadLimit = TimeSpan.FromSeconds(30);
    // Commands that cannot commit: how long to wait before calling their outcome unknown.
    private static readonly TimeSpan StrandLimit = TimeSpan.FromSeconds(2);
    private readonly List<DemoStep> _steps = new();
    private string _scenario = "";

    public IReadOnlyList<DemoStep> Steps => _steps;

    /// <summary>A step checked by another scenario (MembershipDemo), for the summary table.</summary>
    public void Record(DemoStep step) => _steps.Add(step);

    public async Task ElectionAsync()
    {
        Begin("Election");
        Narrate("start n1 alone: it campaigns, but one of five is no majority");
        cluster.Started("n1");
        await cluster.WaitUntilAsync(rows => rows.All(r => r.Reachable), ElectionLimit);
        var leader = await cluster.WatchForAnyLeaderAsync(QuietPeriod);
        await Check("start n1", "no leader", leader is null ? "no leader" : $"{leader.Node} leads", leader is null);

        Narrate("start n2: two of five is still no majority");
        cluster.Start("n2");
        await cluster.WaitUntilAsync(rows => rows.All(r => r.Reachable), ElectionLimit);
        leader = await cluster.WatchForAnyLeaderAsync(QuietPeriod);
        await Check("start n2", "no leader", leader is null ? "no leader" : $"{leader.Node} leads", leader is null);

        Narrate("start n3: three of five can elect a leader");
        cluster.Start("n3");
        var first = await cluster.WaitForLeaderAsync(ElectionLimit);
        await Check("start n3", "a leader is elected", first is null ? "no leader" : $"{first.Node} leads in term {first.Term}", first is not null);
        if (first is null) return;

        Narrate("start n4 and n5: they join as followers, the leader does not change");
        cluster.Start("n4");
        cluster.Start("n5");
        var joined = await cluster.WaitUntilAsync(rows => rows.Count == 5 && rows.All(r => r.Status?.Leader == first.Node), ElectionLimit);
        var now = DemoCluster.LeaderOf(await cluster.StatusAsync(), cluster.Majority);
        await Check("start n4, n5", $"{first.Node} still leads, all five follow it",
            now is null ? "no leader" : $"{now.Node} leads in term {now.Term}", joined && now?.Node == first.Node);

        var current = first;
        foreach (var (left, expectLeader) in new[] { (4, true), (3, true), (2, false) })
        {
            Narrate($"crash the leader {current.Node} (kill -9): {left} nodes left");
            cluster.Kill(current.Node);
            if (expectLeader)
            {
                var crashed = current.Node;
                var next = await cluster.WaitForLeaderAsync(ElectionLimit, l => l.Node != crashed);
                await Check($"crash {crashed}", $"a new leader among the {left}",
                    next is null ? "no leader" : $"{next.Node} leads in term {next.Term}", next is not null);
                if (next is null) return;
                current = next;
            }
            else
            {
                var any = await cluster.WatchForAnyLeaderAsync(TimeSpan.FromSeconds(5));
                await Check($"crash {current.Node}", "no leader: two of five cannot elect",
                    any is null ? "no leader" : $"{any.Node} leads", any is null);
            }
        }
    }

    public async Task ReplicationAsync()
    {
        Begin("Replication");
        Narrate("restart every crashed node: all five up");
        foreach (var node in DemoCluster.AllNodes.Except(cluster.Up).ToList()) cluster.Start(node);
        var leader = await AllUpWithLeaderAsync("all five up");
        if (leader is null) return;

        Narrate("submit 5 commands");
        var applied = (await cluster.SubmitAsync(leader.Node, 5, CommandLimit)).Applied;
        await Check("submit 5", "5 applied", $"{applied} applied", applied == 5);

        var followers = cluster.Up.Where(n => n != leader.Node).Take(2).ToArray();
        Narrate($"crash two followers ({string.Join(", ", followers)}), submit 5 more: three of five still commit");
        foreach (var node in followers) cluster.Kill(node);
        applied = (await cluster.SubmitAsync(leader.Node, 5, CommandLimit)).Applied;
        await Check($"crash {string.Join(", ", followers)}; submit 5", "5 applied", $"{applied} applied", applied == 5);

        Narrate($"restart {string.Join(", ", followers)}: the leader sends them what they missed");
        foreach (var node in followers) cluster.Start(node);
        var caughtUp = await cluster.WaitUntilAsync(rows => CaughtUp(rows, leader.Node, followers), ElectionLimit);
        var rows = await cluster.StatusAsync();
        await Check($"restart {string.Join(", ", followers)}", "their last index equals the leader's",
            string.Join(", ", rows.Where(r => r.Status is not null).Select(r => $"{r.Node}:{r.Status!.LastLogIndex}")), caughtUp);
    }

    public async Task LogConflictsAsync()
    {
        Begin("Log conflicts");
        var stranding = await StrandAsync(3);
        if (stranding is null) return;
        var (leader, partner, others, before) = (stranding.Leader, stranding.Partner, stranding.Others, stranding.After);
        await Check("submit 3 to a minority", "none applied; the client reports an unknown outcome",
            $"{stranding.Outcome}; leader commit {before.CommitIndex}, last {before.LastLogIndex}{stranding.Retries}",
            stranding.Outcome.Applied == 0 && stranding.Outcome.Unknown == 3 && before.LastLogIndex > before.CommitIndex);

        Narrate($"crash {string.Join(", ", others)} while still cut off, then heal the network: the entries stay on {leader.Node} and {partner} alone");
        foreach (var node in others) cluster.Kill(node);
        await cluster.FaultAsync("heal");

        Narrate($"crash {leader.Node} and {partner}, restart {string.Join(", ", others)}");
        cluster.Kill(leader.Node);
        cluster.Kill(partner);
        foreach (var node in others) cluster.Start(node);
        var fresh = await cluster.WaitForLeaderAsync(ElectionLimit);
        await Check($"restart {string.Join(", ", others)}", "a new leader among them",
            fresh is null ? "no leader" : $"{fresh.Node} leads in term {fresh.Term}", fresh is not null && others.Contains(fresh.Node));
        if (fresh is null) return;

        Narrate("submit 3 commands: they commit");
        var applied = (await cluster.SubmitAsync(fresh.Node, 3, CommandLimit)).Applied;
        await Check("submit 3 to the majority", "3 applied", $"{applied} applied", applied == 3);

        Narrate($"restart {leader.Node} and {partner}: their uncommitted entries give way to the new leader's log");
        cluster.Start(leader.Node);
        cluster.Start(partner);
        var returning = new[] { leader.Node, partner };
        var caughtUp = await cluster.WaitUntilAsync(rows => CaughtUp(rows, fresh.Node, returning), ElectionLimit);
        var from = before.CommitIndex + 1;
        var count = (int)(before.LastLogIndex - before.CommitIndex);
        if (count < 1)
        {
            await Check($"restart {leader.Node}, {partner}", "uncommitted entries replaced by the new leader's",
                $"nothing to replace: {leader.Node} held no uncommitted entry (commit {before.CommitIndex}, last {before.LastLogIndex})", false);
            return;
        }
        var reference = await cluster.LogTermsAsync(fresh.Node, from, count, ReadLimit);
        var replaced = true;
        var observed = new List<string>();
        foreach (var node in returning)
        {
            var terms = await cluster.LogTermsAsync(node, from, count, ReadLimit);
            replaced &= caughtUp && terms.SequenceEqual(reference) && terms.All(t => t.Term > before.Term);
            observed.Add($"{node}: terms {string.Join(",", terms.Select(t => t.Term))} at {from}..{from + count - 1}");
        }
        await Check($"restart {leader.Node}, {partner}",
            $"entries {from}..{from + count - 1} (term {before.Term}, uncommitted) replaced by the new leader's",
            string.Join("; ", observed), replaced);
    }

    public async Task PartitionAsync()
    {
        Begin("Partition");
        foreach (var node in DemoCluster.AllNodes.Except(cluster.Up).ToList()) cluster.Start(node);
        var stranding = await StrandAsync(2);
        if (stranding is null) return;
        var (old, stranded) = (stranding.Leader, stranding.After);
        var minority = new[] { old.Node, stranding.Partner };
        var majority = stranding.Others;
        await Check("submit to the minority", $"none applied; {old.Node} holds them uncommitted",
            $"{stranding.Outcome}; {old.Node} commit {stranded.CommitIndex}, last {stranded.LastLogIndex}{stranding.Retries}",
            stranding.Outcome.Applied == 0 && stranding.Outcome.Refused == 0 && stranded.LastLogIndex > stranded.CommitIndex);

        var fresh = await cluster.WaitForLeaderAsync(ElectionLimit, l => majority.Contains(l.Node));
        await Check("partition", "the majority elects a new leader",
            fresh is null ? "no leader" : $"{fresh.Node} leads in term {fresh.Term}", fresh is not null);
        if (fresh is null) return;
        Narrate($"submit 3 commands to {fresh.Node}");
        var applied = (await cluster.SubmitAsync(fresh.Node, 3, CommandLimit)).Applied;
        await Check("submit to the majority", "3 applied", $"{applied} applied", applied == 3);

        Narrate("heal the network: the old leader steps down and takes the new leader's log");
        await cluster.FaultAsync("heal");
        var caughtUp = await cluster.WaitUntilAsync(rows => CaughtUp(rows, fresh.Node, minority), ElectionLimit);
        var observed = $"{old.Node} is {(await cluster.StatusAsync()).First(r => r.Node == old.Node).Status?.Role.Name() ?? "unreachable"}";
        var replaced = caughtUp && stranded.LastLogIndex > stranded.CommitIndex;
        if (replaced)
        {
            var from = stranded.CommitIndex + 1;
            var count = (int)(stranded.LastLogIndex - stranded.CommitIndex);
            var terms = await cluster.LogTermsAsync(old.Node, from, count, ReadLimit);
            replaced = terms.All(t => t.Term > stranded.Term);
            observed += $"; entries {from}..{from + count - 1} now of terms {string.Join(",", terms.Select(t => t.Term))}";
        }
        await Check("heal", "old leader follows; its uncommitted entries are gone", observed, replaced);

        var follower = majority.First(n => n != fresh.Node);
        var termBefore = (await cluster.StatusAsync()).First(r => r.Node == fresh.Node).Status?.Term;
        Narrate($"isolate the follower {follower} for 3 s, then heal: with pre-vote it cannot depose the leader");
        await cluster.FaultAsync("isolate", follower);
        await Task.Delay(TimeSpan.FromSeconds(3));
        await cluster.FaultAsync("heal");
        await Task.Delay(TimeSpan.FromSeconds(3));
        var after = DemoCluster.LeaderOf(await cluster.StatusAsync(), cluster.Majority);
        await Check($"isolate and heal {follower}", $"{fresh.Node} still leads in term {termBefore}",
            after is null ? "no leader" : $"{after.Node} leads in term {after.Term}", after?.Node == fresh.Node && after.Term == termBefore);
    }

    private const int StrandAttempts = 3;

    /// <summary>A leader, cut off with <see cref="Partner"/> from <see cref="Others"/>, that was handed commands
    /// it appended but cannot commit; <see cref="After"/> is its status once the commands' limit ran out.</summary>
    private sealed record Stranding(Contracts.NodeStatus Leader, string Partner, string[] Others, SubmitOutcome Outcome,
        Contracts.NodeStatus After, int Attempt)
    {
        public string Retries => Attempt == 1 ? "" : $" (attempt {Attempt} of {StrandAttempts})";
    }

    /// <summary>
    /// With all five up, cuts the leader and one partner off from the other three and hands the leader
    /// <paramref name="count"/> commands at once (see <see cref="DemoCluster.CutOffAndSubmitAsync"/>). On a
    /// machine busy enough that the leader's check-quorum ran before the commands reached it, the leader refuses
    /// them: nothing was stranded, so the network is healed and the step begins again with whoever leads then,
    /// up to <see cref="StrandAttempts"/> times. Null when the five do not settle on a leader.
    /// </summary>
    private async Task<Stranding?> StrandAsync(int count)
    {
        var leader = await AllUpWithLeaderAsync("all five up");
        if (leader is null) return null;
        for (var attempt = 1; ; attempt++)
        {
            var partner = cluster.Up.First(n => n != leader.Node);
            var others = cluster.Up.Where(n => n != leader.Node && n != partner).ToArray();
            Narrate($"cut the leader {leader.Node} and {partner} off from {string.Join(", ", others)}: " +
                    "the leader lost its majority but does not know it yet");
            Narrate($"submit {count} commands to {leader.Node} at once: replicated to two nodes, not committed");
            var outcome = await cluster.CutOffAndSubmitAsync(leader.Node, [leader.Node, partner], others, count, StrandLimit);
            var after = (await cluster.StatusAsync()).First(r => r.Node == leader.Node).Status;
            if (after is not null && (outcome.Refused == 0 || attempt == StrandAttempts))
                return new Stranding(leader, partner, others, outcome, after, attempt);

            Narrate(after is null
                ? $"{leader.Node} answered no status call; heal and try again"
                : $"{leader.Node} answered {outcome}: it had stepped down (check-quorum) before the commands reached it; heal and try again");
            await cluster.FaultAsync("heal");
            var next = attempt < StrandAttempts ? await WaitForFiveAndLeaderAsync() : null;
            if (next is null)
            {
                await Check("cut off a leader and submit", "the leader appends the commands",
                    $"attempt {attempt}: {outcome}; {(after is null ? $"{leader.Node} unreachable" : "")} then no leader all five follow", false);
                return null;
            }
            leader = next;
        }
    }

    /// <summary>The closing table: one row per step, expected and observed.</summary>
    public void WriteSummary()
    {
        output.WriteLine();
        output.WriteLine("SUMMARY");
        var widths = new[]
        {
            Math.Max(8, _steps.Max(s => s.Scenario.Length)), Math.Max(4, _steps.Max(s => s.Step.Length)),
            Math.Max(8, _steps.Max(s => s.Expected.Length)),
        };
        output.WriteLine($"{"SCENARIO".PadRight(widths[0])}  {"STEP".PadRight(widths[1])}  {"EXPECTED".PadRight(widths[2])}  RESULT  OBSERVED");
        foreach (var step in _steps)
            output.WriteLine($"{step.Scenario.PadRight(widths[0])}  {step.Step.PadRight(widths[1])}  {step.Expected.PadRight(widths[2])}  " +
                             $"{(step.Passed ? "pass" : "FAIL"),-6}  {step.Observed}");
        output.WriteLine($"{_steps.Count(s => s.Passed)} of {_steps.Count} steps behaved as Raft requires");
    }

    private async Task<Contracts.NodeStatus?> AllUpWithLeaderAsync(string step)
    {
        var leader = await WaitForFiveAndLeaderAsync();
        var now = leader ?? DemoCluster.LeaderOf(await cluster.StatusAsync(), cluster.Majority);
        await Check(step, "five nodes follow one leader", now is null ? "no leader" : $"{now.Node} leads in term {now.Term}",
            leader is not null);
        return leader;
    }

    /// <summary>The leader all five running nodes follow, or null at the deadline.</summary>
    private async Task<Contracts.NodeStatus?> WaitForFiveAndLeaderAsync()
    {
        var ok = await cluster.WaitUntilAsync(rows => rows.Count == 5 && rows.All(r => r.Reachable) &&
                                                      DemoCluster.LeaderOf(rows, 5) is not null, ElectionLimit);
        return ok ? DemoCluster.LeaderOf(await cluster.StatusAsync(), cluster.Majority) : null;
    }

    private static bool CaughtUp(IReadOnlyList<NodeStatusRow> rows, string leader, IEnumerable<string> nodes)
    {
        var lead = rows.FirstOrDefault(r => r.Node == leader)?.Status;
        if (lead is null || lead.Role != NodeRole.Leader) return false;
        return nodes.All(n => rows.FirstOrDefault(r => r.Node == n)?.Status is { } s &&
                              s.LastLogIndex == lead.LastLogIndex && s.CommitIndex == lead.CommitIndex);
    }

    private void Begin(string scenario)
    {
        _scenario = scenario;
        output.WriteLine();
        output.WriteLine($"=== {scenario}");
    }

    private void Narrate(string text) => output.WriteLine($"--> {text}");

    private async Task Check(string step, string expected, string observed, bool passed)
    {
        _steps.Add(new DemoStep(_scenario, step, expected, observed, passed));
        output.WriteLine($"    {(passed ? "ok  " : "FAIL")} expected: {expected}; observed: {observed}");
        await cluster.PrintStatusAsync();
    }
}
