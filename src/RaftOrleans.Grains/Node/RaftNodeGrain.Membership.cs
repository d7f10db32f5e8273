using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using RaftOrleans.Contracts;
using RaftOrleans.Grains.Node;
using RaftOrleans.Raft;
using RaftOrleans.Raft.Messages;
using RaftOrleans.Grains.Logging;

namespace RaftOrleans.Grains.Node;

// Membership changes (dissertation §4.1: one server at a time, learners first) and leadership transfer
// (§3.10), as the core implements them, exposed through the leader. Requests queue here and reach the
// core from the loop (FeedMembershipRequests, between Readys); the loop also calls SyncPeerLinks before
// it sends, so this node's links follow the configuration in force: a link to every member (found by
// Orleans placement on the silo of the same name), to the leader it follows (a node that joins with no
// configuration must answer a leader it does not yet know as a member), and to whoever it answers;
// links to nodes that left the configuration are dropped when it changes.
public sealed partial class RaftNodeGrain
{
    private readonly Queue<PendingMembership> _membershipRequests = new();
    private readonly List<PendingMembership> _membershipInProgress = new();

    /// <summary>The configuration the peer links were last made for.</summary>
    private ClusterConfig? _linkedConfig;

    /// <summary>How far behind the leader's last index a learner may be and still be promoted; passed to
    /// the core as <see cref="RaftOptions.PromotionLagEntries"/>.</summary>
    private const long PromotionLagEntries = 100;

    /// <summary>How long a transfer may take: the core gives up after an election timeout; the target then
    /// needs up to one more to win its election.</summary>
    private TimeSpan TransferLimit => TimeSpan.FromMilliseconds(Math.Max(1000, 4 * _settings.ElectionTicks * _settings.TickIntervalMs));

    public Task<MembershipReply> ChangeMembership(MembershipChangeKind kind, string node)
    {
        if (string.IsNullOrWhiteSpace(node)) return Task.FromResult(Reply(MembershipStatus.Refused, "no node named"));
        if (!Enum.IsDefined(kind)) return Task.FromResult(Reply(MembershipStatus.Refused, $"unknown change {kind}"));
        return Enqueue(new PendingMembership(kind, node, transfer: false), TimeSpan.FromMilliseconds(_settings.ProposeTimeoutMs));
    }

    public Task<MembershipReply> TransferLeadership(string target)
    {
        if (string.IsNullOrWhiteSpace(target)) return Task.FromResult(Reply(MembershipStatus.Refused, "no node named"));
        return Enqueue(new PendingMembership(MembershipChangeKind.Promote, target, transfer: true), TransferLimit);
    }

    public Task<MembershipView> GetMembership()
    {
        var status = _core.Status();
        var members = status.Config.Voters.Select(v => Member(v, voter: true))
            .Concat(status.Config.Learners.Select(l => Member(l, voter: false))).ToArray();
        return Task.FromResult(new MembershipView(NodeId, ReportedRole(status), status.Term, status.Leader,
            status.LastLogIndex, status.CommitIndex, _core.ConfigChangePending, members));

        MemberView Member(string node, bool voter)
        {
            if (status.Role != Role.Leader) return new MemberView(node, voter, null, null);
            if (node == NodeId) return new MemberView(node, voter, status.LastLogIndex, "leader");
            return status.Followers.TryGetValue(node, out var follower)
                ? new MemberView(node, voter, follower.MatchIndex, follower.State)
                : new MemberView(node, voter, null, null);
        }
    }

    private async Task<MembershipReply> Enqueue(PendingMembership request, TimeSpan limit)
    {
        if (Stopped) return Reply(MembershipStatus.Unavailable, _stoppedReason);
        _membershipRequests.Enqueue(request);
        Kick();
        using var deadline = new CancellationTokenSource(limit);
        // Fires on a pool thread: completing the source is thread safe; the await resumes on the grain.
        await using var onDeadline = deadline.Token.Register(() => request.Complete(Reply(MembershipStatus.Unknown,
            request.Transfer
                ? $"{request.Node} did not take over within {limit.TotalMilliseconds:0} ms"
                : $"the change was not seen committed within {limit.TotalMilliseconds:0} ms; it may still commit")));
        var reply = await request.Completion.Task;
        _membershipInProgress.Remove(request);
        return reply;
    }

    /// <summary>Called by the loop between Readys: hands queued requests to the core and answers those
    /// whose outcome is known.</summary>
    private void FeedMembershipRequests()
    {
        if (_membershipRequests.Count == 0 && _membershipInProgress.Count == 0) return;
        while (_membershipRequests.TryDequeue(out var request))
        {
            if (request.Completion.Task.IsCompleted) continue;
            var refusal = request.Transfer ? StartTransfer(request) : ProposeChange(request);
            if (refusal is not null) request.Complete(refusal);
            else _membershipInProgress.Add(request);
        }
        foreach (var request in _membershipInProgress.ToList())
        {
            if (Outcome(request) is not { } reply) continue;
            request.Complete(reply);
            _membershipInProgress.Remove(request);
        }
    }

    private MembershipReply? StartTransfer(PendingMembership request)
    {
        if (_core.Role != Role.Leader) return NotLeader();
        if (request.Node == NodeId) return Reply(MembershipStatus.Done, $"{NodeId} already leads");
        if (!_core.Config.IsVoter(request.Node))
            return Reply(MembershipStatus.Refused, $"{request.Node} is not a voter ({_core.Config})");
        request.Term = _core.Term;
        return _core.TransferLeadership(request.Node) is { } why ? Reply(MembershipStatus.Refused, why) : null;
    }

    private MembershipReply? ProposeChange(PendingMembership request)
    {
        if (_core.Role != Role.Leader) return NotLeader();
        var config = _core.Config;
        var node = request.Node;
        if (_core.ConfigChangePending) return Reply(MembershipStatus.Pending, "the previous configuration change is not committed yet");
        if (_core.TermAt(_core.CommitIndex) != _core.Term)
            return Reply(MembershipStatus.Pending, "this leader has not committed an entry of its term yet");
        ConfigChange change;
        switch (request.Kind)
        {
            case MembershipChangeKind.AddLearner:
                if (config.IsVoter(node)) return Reply(MembershipStatus.Refused, $"{node} is already a voter");
                if (config.IsLearner(node)) return Reply(MembershipStatus.Refused, $"{node} is already a learner");
                if (!SiloIsActive(node))
                    return Reply(MembershipStatus.Refused, $"unknown node {node}: no active silo named {node} in this cluster (start it first)");
                change = new ConfigChange(ConfigChangeType.AddLearner, node);
                break;
            case MembershipChangeKind.Promote:
                if (config.IsVoter(node)) return Reply(MembershipStatus.Refused, $"{node} is already a voter");
                if (!config.IsLearner(node)) return Reply(MembershipStatus.Refused, $"unknown node {node}: not a learner ({config})");
                // Within the lag bound, and replicating: a learner that has not answered yet (or is still
                // installing a snapshot) has shown nothing of its log, however short the leader's log is.
                var follower = _core.Status().Followers.GetValueOrDefault(node);
                var match = follower?.MatchIndex ?? 0;
                if (follower is not { Replicating: true } || match + PromotionLagEntries < _core.LastLogIndex)
                    return Reply(MembershipStatus.LearnerBehind,
                        $"learner {node} holds up to index {match} ({follower?.State ?? "unknown"}), the leader {_core.LastLogIndex}");
                change = new ConfigChange(ConfigChangeType.AddVoter, node);
                break;
            default:
                if (!config.IsMember(node)) return Reply(MembershipStatus.Refused, $"unknown node {node}: not a member ({config})");
                if (config.Voters is [var only] && only == node) return Reply(MembershipStatus.Refused, $"cannot remove the last voter {node}");
                change = new ConfigChange(ConfigChangeType.RemoveNode, node);
                break;
        }
        var result = _core.ProposeConfigChange(change);
        switch (result.Outcome)
        {
            case ProposeOutcome.Accepted:
                request.Index = result.Index;
                request.Term = result.Term;
                _logger.MembershipProposed(NodeId, change, result.Index, _core.Config);
                return null;
            case ProposeOutcome.NotLeader:
                return NotLeader();
            case ProposeOutcome.TransferInProgress:
                return Reply(MembershipStatus.Pending, "a leadership transfer is in progress");
            default:
                return Reply(MembershipStatus.Refused, result.Reason ?? result.Outcome.ToString());
        }
    }

    /// <summary>The reply once the request's outcome is known, else null.</summary>
    private MembershipReply? Outcome(PendingMembership request)
    {
        if (request.Transfer)
        {
            if (_core.Leader == request.Node && _core.Term > request.Term) return Reply(MembershipStatus.Done, $"{request.Node} leads in term {_core.Term}");
            return null;
        }
        var termThere = _core.TermAt(request.Index);
        if (_core.LastLogIndex >= request.Index && termThere is { } term && term != request.Term)
            return NotLeader($"leadership was lost before the change committed (index {request.Index} holds another entry)");
        if (_core.CommitIndex < request.Index) return null;
        return termThere == request.Term
            ? Reply(MembershipStatus.Done, null)
            : Reply(MembershipStatus.Unknown, $"index {request.Index} is committed but no longer held here");
    }

    private bool SiloIsActive(string node) =>
        _services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values
            .Any(member => member.Name == node && member.Status == SiloStatus.Active);

    /// <summary>Called by the loop before it sends a Ready's messages: makes a link to every member of the
    /// configuration in force and to every destination, and drops those to nodes that left it.</summary>
    private void SyncPeerLinks(IReadOnlyList<RaftMessage> outgoing)
    {
        var config = _core.Config;
        if (!ReferenceEquals(config, _linkedConfig))
        {
            foreach (var gone in _peers.Keys.Where(peer => !config.IsMember(peer) && peer != _core.Leader).ToList())
            {
                _peers.Remove(gone, out var link);
                link!.Stop();
                _logger.LinkDropped(NodeId, gone, config);
            }
            foreach (var member in config.Members) EnsurePeerLink(member);
            _linkedConfig = config;
        }
        foreach (var message in outgoing) EnsurePeerLink(message.To);
    }

    private void EnsurePeerLink(string peer)
    {
        if (peer == NodeId || _peers.ContainsKey(peer)) return;
        _peers[peer] = new PeerSender(peer, GrainFactory.GetGrain<IRaftNodeGrain>(peer), _settings.PeerCallTimeout, _logger, _metrics);
    }

    private MembershipReply NotLeader(string? reason = null)
    {
        var leader = _core.Leader == NodeId ? null : _core.Leader;
        return Reply(MembershipStatus.NotLeader, reason ?? (leader is null ? $"{NodeId} is not the leader and knows of none" : $"{NodeId} is not the leader; {leader} is"), leader);
    }

    private MembershipReply Reply(MembershipStatus status, string? reason, string? leaderHint = null) =>
        new(status, leaderHint ?? (status == MembershipStatus.NotLeader ? null : _core.Leader), reason,
            _core.Config.Voters.ToArray(), _core.Config.Learners.ToArray());

    private void FailMembershipRequests(string reason)
    {
        while (_membershipRequests.TryDequeue(out var queued)) queued.Complete(Reply(MembershipStatus.Unavailable, reason));
        foreach (var waiting in _membershipInProgress) waiting.Complete(Reply(MembershipStatus.Unknown, reason));
        _membershipInProgress.Clear();
    }
}
