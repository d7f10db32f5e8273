using RaftOrleans.Raft.Tracker;

namespace RaftOrleans.Raft;

// Membership changes, one server at a time (dissertation §4.1-4.2). A configuration takes effect on a
// node as soon as its entry is in that node's log, committed or not (§4.1), and is undone if the entry
// is truncated.
public sealed partial class RaftNode
{
    /// <summary>Configurations in log order: the first is the base (initial or snapshot), each later one
    /// comes from a configuration entry still in the log.</summary>
    private readonly List<ConfigInForce> _configs = new();

    /// <summary>The configuration in force on this node (the latest in its log).</summary>
    public ClusterConfig Config => _configs[^1].Config;

    /// <summary>The voters of the configuration in force.</summary>
    public IReadOnlyList<string> Voters => Config.Voters;

    private bool IsVoter => Config.IsVoter(Id);

    /// <summary>True while the latest configuration change in this node's log is not committed: a leader
    /// refuses another change until it is (§4.1).</summary>
    public bool ConfigChangePending => _configs[^1].Index > _log.Committed;

    /// <summary>
    /// Proposes adding or removing one server. Refused while an earlier change is uncommitted, and until
    /// this leader has committed an entry of its own term: without that rule, single-server changes can
    /// lose committed entries across leader changes (the bug Ongaro described on raft-dev in 2015).
    /// A learner is promoted (AddVoter) only once its log is close to the leader's.
    /// </summary>
    public ProposeResult ProposeConfigChange(ConfigChange change)
    {
        EnsureNoReadyInFlight(nameof(ProposeConfigChange));
        if (RefuseProposal() is { } refused) return refused;
        if (_configs[^1].Index > _log.Committed)
            return ProposeResult.ConfigRefused(Id, $"the previous configuration change (index {_configs[^1].Index}) is not committed yet");
        if (_log.TermAt(_log.Committed) != Term)
            return ProposeResult.ConfigRefused(Id, "this leader has not committed an entry of its term yet; retry shortly");
        var reason = change.Type switch
        {
            ConfigChangeType.AddVoter when Config.IsVoter(change.NodeId) => $"{change.NodeId} is already a voter",
            ConfigChangeType.AddVoter when Config.IsLearner(change.NodeId) && !IsCaughtUp(change.NodeId) =>
                $"learner {change.NodeId} is more than {_options.PromotionLagEntries} entries behind; promote it once it catches up",
            ConfigChangeType.AddLearner when Config.IsMember(change.NodeId) => $"{change.NodeId} is already a member",
            ConfigChangeType.RemoveNode when !Config.IsMember(change.NodeId) => $"{change.NodeId} is not a member",
            ConfigChangeType.RemoveNode when Config.Voters is [var only] && only == change.NodeId => "cannot remove the last voter",
            _ => null,
        };
        if (reason is not null) return ProposeResult.ConfigRefused(Id, reason);
        var entry = new LogEntry(_log.LastIndex + 1, Term, EntryKind.ConfigChange, new ConfigChangeEntry(change, Config.Apply(change)).Encode());
        AppendAsLeader(entry);
        return ProposeResult.Accepted(entry.Index, entry.Term);
    }

    private bool IsCaughtUp(string learner) =>
        _progress.TryGetValue(learner, out var progress) && progress.Match + _options.PromotionLagEntries >= _log.LastIndex;

    private void InitConfigs(ClusterConfig baseConfig, long index, long term)
    {
        _configs.Clear();
        _configs.Add(new ConfigInForce(index, term, baseConfig));
        FoldConfigEntriesAfter(index);
    }

    /// <summary>The configuration in force at <paramref name="index"/>.</summary>
    private ClusterConfig ConfigAt(long index)
    {
        for (var i = _configs.Count - 1; i >= 0; i--)
            if (_configs[i].Index <= index) return _configs[i].Config;
        throw new InvalidOperationException($"{Id}: no configuration known at index {index}");
    }

    private void OnConfigEntryAppended(LogEntry entry)
    {
        _configs.Add(new ConfigInForce(entry.Index, entry.Term, ConfigChangeEntry.Decode(entry.Data, Config).Result));
        SyncProgressWithConfig();
    }

    /// <summary>A follower's log changed after <paramref name="prevIndex"/>: configurations from entries
    /// that were replaced are undone, those from new entries take effect.</summary>
    private void OnEntriesReceived(Messages.AppendEntries append)
    {
        var changed = false;
        while (_configs.Count > 1 && _configs[^1].Index > append.PrevLogIndex)
        {
            _configs.RemoveAt(_configs.Count - 1);
            changed = true;
        }
        var hasConfigEntry = false;
        foreach (var entry in append.Entries) hasConfigEntry |= entry.Kind == EntryKind.ConfigChange;
        if (!changed && !hasConfigEntry) return;
        FoldConfigEntriesAfter(append.PrevLogIndex);
    }

    private void FoldConfigEntriesAfter(long index)
    {
        for (var i = Math.Max(index + 1, _log.FirstIndex); i <= _log.LastIndex; i++)
        {
            var entry = _log.EntryAt(i);
            if (entry.Kind != EntryKind.ConfigChange || entry.Index <= _configs[^1].Index) continue;
            _configs.Add(new ConfigInForce(entry.Index, entry.Term, ConfigChangeEntry.Decode(entry.Data, Config).Result));
        }
    }

    private void ResetConfigsToSnapshot(Snapshot snapshot)
    {
        InitConfigs(snapshot.Config, snapshot.Index, snapshot.Term);
    }

    private void ForgetConfigsBefore(long compactedTo)
    {
        while (_configs.Count > 1 && _configs[1].Index <= compactedTo) _configs.RemoveAt(0);
    }

    /// <summary>The leader tracks exactly the members of the configuration in force.</summary>
    private void SyncProgressWithConfig()
    {
        if (Role != Role.Leader) return;
        foreach (var member in Config.Members)
        {
            if (member == Id || _progress.ContainsKey(member)) continue;
            _progress[member] = new Progress(_log.LastIndex + 1, _options.MaxInflightAppends) { RecentActive = true };
        }
        foreach (var gone in _progress.Keys.Where(k => !Config.IsMember(k)).ToList()) _progress.Remove(gone);
        if (_transferTarget is not null && !Config.IsVoter(_transferTarget)) _transferTarget = null;
    }

    /// <summary>§4.2.2: a leader removed from the configuration keeps leading until the change commits,
    /// without counting itself, then steps down.</summary>
    private void OnCommitAdvanced()
    {
        if (Role == Role.Leader && !IsVoter && _configs[^1].Index <= _log.Committed) BecomeFollower(Term, leader: null);
    }

    private sealed record ConfigInForce(long Index, long Term, ClusterConfig Config);
}
