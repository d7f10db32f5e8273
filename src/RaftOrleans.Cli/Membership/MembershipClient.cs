using System.Diagnostics;
using RaftOrleans.Client;
using RaftOrleans.Contracts;

namespace RaftOrleans.Cli.Membership;

/// <summary>How a membership command ended.</summary>
public enum ChangeResult
{
    Done,
    /// <summary>The leader refused for good (unknown node, last voter, ...).</summary>
    Refused,
    /// <summary>The learner did not catch up within its limit.</summary>
    Behind,
    /// <summary>No leader, or no outcome, within the limit.</summary>
    TimedOut,
}

public sealed record ChangeOutcome(ChangeResult Result, string Message);

/// <summary>One node's answer to GetMembership, or why there was none.</summary>
public sealed record NodeMembership(string Node, MembershipView? View, string? Error);

/// <summary>Asks the cluster's leader for membership changes and transfers, finding it among every node it
/// can reach, following it when it moves and retrying what is worth retrying, each call and the whole
/// command within limits (never a hang).</summary>
public sealed class MembershipClient(OrleansNodeChannel channel)
{
    private static readonly TimeSpan ViewLimit = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan ChangeCallLimit = TimeSpan.FromSeconds(11);
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(250);

    /// <summary>Every node's view of the configuration, asked in parallel.</summary>
    public async Task<IReadOnlyList<NodeMembership>> ViewsAsync(CancellationToken cancellationToken)
    {
        return await Task.WhenAll(channel.Nodes.Select(async node =>
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(ViewLimit);
            try
            {
                return new NodeMembership(node, await channel.CallAsync(node, grain => grain.GetMembership(), limit.Token), null);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                return new NodeMembership(node, null, e is OperationCanceledException ? $"no answer within {ViewLimit.TotalSeconds:0} s" : e.Message.Split('\n')[0]);
            }
        }));
    }

    /// <summary>The view of the node that leads in the highest term seen, or null when none does.</summary>
    public static MembershipView? Leader(IReadOnlyList<NodeMembership> views) =>
        views.Select(v => v.View).Where(v => v?.Role == NodeRole.Leader).MaxBy(v => v!.Term);

    /// <summary>Asks the leader for <paramref name="kind"/> of <paramref name="node"/> until it commits, is
    /// refused, or <paramref name="limit"/> passes. Once a request was sent, a leader whose configuration
    /// shows <paramref name="achieved"/> (committed) counts as done: an answer lost in a leader change must
    /// not turn into a second change. A learner that is behind is waited for up to <paramref name="catchUpLimit"/>.</summary>
    public async Task<ChangeOutcome> ChangeAsync(MembershipChangeKind kind, string node, Func<MembershipView, bool> achieved,
        TimeSpan limit, TimeSpan catchUpLimit, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var sent = false;
        string problem = "no leader found";
        TimeSpan? behindSince = null;
        while (true)
        {
            var leader = Leader(await ViewsAsync(cancellationToken));
            if (leader is not null && sent && achieved(leader) && !leader.ChangePending)
            {
                return new ChangeOutcome(ChangeResult.Done, $"committed; voters {Voters(leader)}{Learners(leader)}");
            }

            var overall = behindSince is { } since ? since + catchUpLimit : limit;
            if (clock.Elapsed > overall)
            {
                return behindSince is not null
                    ? new ChangeOutcome(ChangeResult.Behind, $"{node} did not catch up within {catchUpLimit.TotalSeconds:0} s ({problem})")
                    : new ChangeOutcome(ChangeResult.TimedOut, $"no outcome within {limit.TotalSeconds:0} s ({problem})");
            }

            if (leader is null)
            {
                await Task.Delay(RetryPause, cancellationToken);
                continue;
            }

            MembershipReply reply;
            try
            {
                using var callLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                callLimit.CancelAfter(ChangeCallLimit);
                sent = true;
                reply = await channel.CallAsync(leader.Node, grain => grain.ChangeMembership(kind, node), callLimit.Token);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                problem = $"{leader.Node}: {e.Message.Split('\n')[0]}";
                await Task.Delay(RetryPause, cancellationToken);
                continue;
            }

            switch (reply.Status)
            {
                case MembershipStatus.Done:
                    return new ChangeOutcome(ChangeResult.Done, $"committed; voters {string.Join(",", reply.Voters)}" +
                        (reply.Learners.Length > 0 ? $", learners {string.Join(",", reply.Learners)}" : ""));
                case MembershipStatus.Refused:
                    return new ChangeOutcome(ChangeResult.Refused, reply.Reason ?? "refused");
                case MembershipStatus.LearnerBehind:
                    behindSince ??= clock.Elapsed;
                    break;
            }

            problem = reply.Reason ?? reply.Status.ToString();
            await Task.Delay(RetryPause, cancellationToken);
        }
    }

    /// <summary>Moves leadership to <paramref name="target"/>: Done once it leads (confirmed by asking it).</summary>
    public async Task<ChangeOutcome> MoveLeaderAsync(string target, TimeSpan limit, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var problem = "no leader found";
        while (clock.Elapsed < limit)
        {
            var views = await ViewsAsync(cancellationToken);
            var leader = Leader(views);
            if (leader?.Node == target && views.Where(v => v.View is not null).All(v => v.View!.Term <= leader.Term))
            {
                return new ChangeOutcome(ChangeResult.Done, $"{target} leads in term {leader.Term}");
            }

            if (leader is not null)
            {
                try
                {
                    using var callLimit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    callLimit.CancelAfter(ChangeCallLimit);
                    var reply = await channel.CallAsync(leader.Node, grain => grain.TransferLeadership(target), callLimit.Token);
                    if (reply.Status == MembershipStatus.Refused)
                    {
                        return new ChangeOutcome(ChangeResult.Refused, reply.Reason ?? "refused");
                    }

                    problem = reply.Reason ?? reply.Status.ToString();
                    if (reply.Status == MembershipStatus.Done)
                    {
                        continue; // confirm with the target itself
                    }
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    problem = $"{leader.Node}: {e.Message.Split('\n')[0]}";
                }
            }

            await Task.Delay(RetryPause, cancellationToken);
        }

        return new ChangeOutcome(ChangeResult.TimedOut, $"{target} did not take over within {limit.TotalSeconds:0} s ({problem})");
    }

    public static bool IsMember(MembershipView view, string node) => view.Members.Any(m => m.Node == node);

    public static bool IsVoter(MembershipView view, string node) => view.Members.Any(m => m.Node == node && m.Voter);

    public static string Voters(MembershipView view) => string.Join(",", view.Members.Where(m => m.Voter).Select(m => m.Node));

    private static string Learners(MembershipView view) =>
        view.Members.Any(m => !m.Voter) ? $", learners {string.Join(",", view.Members.Where(m => !m.Voter).Select(m => m.Node))}" : "";
}
