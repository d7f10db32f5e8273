using System.Text;
using RaftOrleans.Simulation;

namespace RaftOrleans.Raft.Tests;

/// <summary>
/// The safety checker is what every scenario and seeded run trusts, so it must be shown to bite:
/// each test feeds it a hand-made history that breaks one property and asserts the violation names
/// that property; the last test feeds a legal history (elections, replication, a crash, a restart)
/// and asserts silence.
/// </summary>
public sealed class CheckerTests
{
    private static LogEntry E(long index, long term, string data = "") =>
        new(index, term, data.Length == 0 ? EntryKind.NoOp : EntryKind.Command, Encoding.UTF8.GetBytes(data));

    private static NodeView View(string id, Role role, long term, long commit, params LogEntry[] log) =>
        new(id, 1, role, term, commit, new ListLogView(log));

    private static void AssertViolation(string property, Action history)
    {
        var violation = Assert.Throws<SafetyViolationException>(history);
        Assert.Equal(property, violation.Property);
        Assert.StartsWith(property + " violated", violation.Message);
    }

    [Fact]
    public void Two_leaders_in_one_term_break_election_safety()
    {
        var checker = new SafetyChecker();
        checker.Observe(View("n1", Role.Leader, 3, 0, E(1, 3)));
        // The same leader seen again is fine; a second one in the same term is not.
        checker.Observe(View("n1", Role.Leader, 3, 0, E(1, 3)));
        checker.Observe(View("n2", Role.Leader, 4, 0, E(1, 3), E(2, 4)));
        AssertViolation("Election Safety", () => checker.Observe(View("n3", Role.Leader, 3, 0, E(1, 3))));
    }

    [Fact]
    public void Same_index_and_term_with_different_payload_breaks_log_matching()
    {
        var checker = new SafetyChecker();
        checker.OnEntriesPersisted("n1", 0, [E(1, 1, "a"), E(2, 1, "b")]);
        checker.OnEntriesPersisted("n2", 0, [E(1, 1, "a")]); // identical: fine
        AssertViolation("Log Matching", () => checker.OnEntriesPersisted("n2", 1, [E(2, 1, "c")]));
    }

    [Fact]
    public void Same_index_and_term_after_different_previous_terms_breaks_log_matching()
    {
        var checker = new SafetyChecker();
        checker.OnEntriesPersisted("n1", 0, [E(1, 1, "a"), E(2, 3, "x")]);
        // n2 holds 2@3 with the same payload but after an entry of term 2: the logs disagree before it.
        AssertViolation("Log Matching", () => checker.OnEntriesPersisted("n2", 0, [E(1, 2, "b"), E(2, 3, "x")]));
    }

    [Fact]
    public void A_later_leader_without_a_committed_entry_breaks_leader_completeness()
    {
        var checker = new SafetyChecker();
        checker.Observe(View("n1", Role.Leader, 1, 2, E(1, 1), E(2, 1, "a")));
        // n2 leads term 2 with a log that lacks the committed entry 2@1.
        AssertViolation("Leader Completeness", () => checker.Observe(View("n2", Role.Leader, 2, 0, E(1, 1))));
    }

    [Fact]
    public void A_later_leader_holding_a_different_entry_at_a_committed_index_breaks_leader_completeness()
    {
        var checker = new SafetyChecker();
        checker.Observe(View("n1", Role.Follower, 1, 2, E(1, 1), E(2, 1, "a")));
        AssertViolation("Leader Completeness",
            () => checker.Observe(View("n3", Role.Leader, 3, 0, E(1, 1), E(2, 2, "z"))));
    }

    [Fact]
    public void A_node_replacing_the_entry_at_its_commit_index_loses_a_committed_entry()
    {
        var checker = new SafetyChecker();
        checker.Observe(View("n1", Role.Follower, 1, 2, E(1, 1), E(2, 1, "a")));
        AssertViolation("Committed entry lost", () => checker.Observe(View("n1", Role.Follower, 2, 2, E(1, 1), E(2, 2, "z"))));
    }

    [Fact]
    public void Two_nodes_committing_different_entries_at_one_index_lose_a_committed_entry()
    {
        var checker = new SafetyChecker();
        checker.Observe(View("n1", Role.Follower, 1, 2, E(1, 1), E(2, 1, "a")));
        AssertViolation("Committed entry lost", () => checker.Observe(View("n2", Role.Follower, 2, 2, E(1, 1), E(2, 2, "b"))));
    }

    [Fact]
    public void A_commit_index_going_back_is_caught()
    {
        var checker = new SafetyChecker();
        checker.Observe(View("n1", Role.Follower, 1, 2, E(1, 1), E(2, 1, "a")));
        AssertViolation("Commit monotonicity", () => checker.Observe(View("n1", Role.Follower, 1, 1, E(1, 1), E(2, 1, "a"))));
    }

    [Fact]
    public void A_commit_index_beyond_the_log_is_caught()
    {
        var checker = new SafetyChecker();
        AssertViolation("Commit bound", () => checker.Observe(View("n1", Role.Follower, 1, 3, E(1, 1))));
    }

    [Fact]
    public void A_leader_truncating_its_own_log_breaks_leader_append_only()
    {
        var checker = new SafetyChecker();
        checker.Observe(View("n1", Role.Leader, 2, 0, E(1, 1), E(2, 2), E(3, 2, "a")));
        AssertViolation("Leader Append-Only", () => checker.Observe(View("n1", Role.Leader, 2, 0, E(1, 1), E(2, 2))));
    }

    [Fact]
    public void A_leader_overwriting_its_last_entry_breaks_leader_append_only()
    {
        var checker = new SafetyChecker();
        checker.Observe(View("n1", Role.Leader, 3, 0, E(1, 1), E(2, 3)));
        // Appending is fine ...
        checker.Observe(View("n1", Role.Leader, 3, 0, E(1, 1), E(2, 3), E(3, 3, "a")));
        // ... replacing the entry at an index it already held is not.
        AssertViolation("Leader Append-Only",
            () => checker.Observe(View("n1", Role.Leader, 3, 0, E(1, 1), E(2, 3), E(3, 1, "a"), E(4, 3, "b"))));
    }

    [Fact]
    public void Two_nodes_applying_different_entries_at_one_index_break_state_machine_safety()
    {
        var checker = new SafetyChecker();
        checker.OnApplied("n1", 1, E(1, 1, "a"));
        checker.OnApplied("n2", 1, E(1, 1, "a"));
        AssertViolation("State Machine Safety", () => checker.OnApplied("n3", 1, E(1, 1, "b")));
    }

    [Fact]
    public void Applying_out_of_order_is_caught()
    {
        var checker = new SafetyChecker();
        checker.OnApplied("n1", 1, E(1, 1, "a"));
        AssertViolation("Applied order", () => checker.OnApplied("n1", 1, E(3, 1, "c")));
    }

    [Fact]
    public void A_legal_history_passes()
    {
        var checker = new SafetyChecker();
        LogEntry[] term1 = [E(1, 1), E(2, 1, "a"), E(3, 1, "b")];

        // n1 leads term 1 and replicates three entries to n2; n3 gets only the first.
        checker.Observe(View("n1", Role.Leader, 1, 0, E(1, 1)));
        checker.OnEntriesPersisted("n1", 0, term1);
        checker.OnEntriesPersisted("n2", 0, term1);
        checker.OnEntriesPersisted("n3", 0, term1[..1]);
        checker.Observe(View("n1", Role.Leader, 1, 3, term1));
        foreach (var entry in term1) checker.OnApplied("n1", 1, entry);
        checker.Observe(View("n2", Role.Follower, 1, 3, term1));

        // n1 crashes; n2, holding every committed entry, leads term 2; n3 catches up and gets a new
        // entry; a stale uncommitted suffix elsewhere would be replaced, which is legal.
        checker.Observe(View("n2", Role.Leader, 2, 3, term1));
        LogEntry[] term2 = [.. term1, E(4, 2), E(5, 2, "c")];
        checker.OnEntriesPersisted("n2", 1, term2[3..]);
        checker.OnEntriesPersisted("n3", 1, term2[1..]);
        checker.Observe(View("n2", Role.Leader, 2, 5, term2));
        checker.Observe(View("n3", Role.Follower, 2, 5, term2));
        foreach (var entry in term2) checker.OnApplied("n3", 1, entry);

        // n1 restarts (incarnation 2) and applies everything again from the start.
        checker.OnEntriesPersisted("n1", 1, term2[3..]);
        var restarted = new NodeView("n1", 2, Role.Follower, 2, 5, new ListLogView(term2));
        checker.Observe(restarted);
        foreach (var entry in term2) checker.OnApplied("n1", 2, entry);

        Assert.Equal(5, checker.HighestCommittedIndex);
        Assert.Equal(2, checker.LeadersSeen);
    }
}
