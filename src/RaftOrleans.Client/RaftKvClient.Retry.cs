using RaftOrleans.Contracts;
using RaftOrleans.KeyValue;
using RaftOrleans.KeyValue.Encoding;

namespace RaftOrleans.Client;

// The retry loop shared by writes, reads and session opening.
public sealed partial class RaftKvClient
{
    /// <summary>How one attempt at one node ended.</summary>
    private enum AttemptEnd
    {
        /// <summary>The node served it: the reply carries the result.</summary>
        Served,
        /// <summary>Refused without effect; try the hinted or next node.</summary>
        Refused,
        /// <summary>Refused without effect for now (busy); pause, then try the same node.</summary>
        Busy,
        /// <summary>No answer (timeout, lost leadership mid-way, connection broke): a write may have been
        /// appended to a leader's log; try the next node.</summary>
        Lost,
    }

    private readonly record struct Attempt(AttemptEnd End, KvResult? Result, string? LeaderHint, string Why);

    private SessionNumbering NewSession() => new(Guid.NewGuid().ToString("N"));

    private async Task<KvResult> WriteAsync(KvOperation operation, CancellationToken cancellationToken)
    {
        Validate(operation);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.OverallDeadline);
        var attempts = NewAttempts();
        while (true)
        {
            var session = await OpenedSessionAsync(attempts, deadline.Token, cancellationToken);
            var sequence = session.Begin();
            try
            {
                var mayHaveTakenEffect = false;
                while (true)
                {
                    var command = KvCommand.InSession(session.ClientId, sequence, session.LowestOutstanding, operation);
                    Attempt attempt;
                    try
                    {
                        attempt = await AttemptAsync((node, token) => _channel.ProposeAsync(node, KvCommandCodec.Encode(command), token),
                            _options.WriteAttemptTimeout, attempts, deadline.Token, cancellationToken);
                    }
                    catch (KvNoNodeRunningException none) when (mayHaveTakenEffect)
                    {
                        throw new KvOutcomeUnknownException($"{none.Message}; an earlier attempt may have applied the write before", none);
                    }
                    catch (DeadlinePassedException passed) when (mayHaveTakenEffect || passed.MayHaveTakenEffect)
                    {
                        // Not applied is claimed only when every attempt was refused without effect: a call the
                        // deadline cut, or a lost answer whose pause the deadline cut, may still commit.
                        throw new KvOutcomeUnknownException(
                            $"no answer within {_options.OverallDeadline.TotalSeconds:0.#} s; the write may or may not have been applied (last: {passed.LastWhy})");
                    }
                    catch (DeadlinePassedException passed)
                    {
                        throw new KvUnavailableException(
                            $"no leader accepted the write within {_options.OverallDeadline.TotalSeconds:0.#} s; it was not applied (last: {passed.LastWhy})");
                    }
                    if (attempt.End != AttemptEnd.Served)
                    {
                        mayHaveTakenEffect |= attempt.End == AttemptEnd.Lost;
                        continue;
                    }
                    var result = attempt.Result!;
                    switch (result.Status)
                    {
                        case KvStatus.SessionExpired when mayHaveTakenEffect:
                            // An earlier attempt may have applied before the session expired; a new session
                            // could apply it a second time, so the outcome has to stay unknown.
                            throw new KvOutcomeUnknownException($"the session expired while a retried write was in doubt: {result.Message}");
                        case KvStatus.SessionExpired:
                            ReplaceSession(session);
                            break;
                        case KvStatus.StaleSequence:
                            throw new KvOutcomeUnknownException($"the cluster no longer remembers the answer: {result.Message}");
                        default:
                            return result;
                    }
                    break;
                }
            }
            finally
            {
                session.End(sequence);
            }
        }
    }

    /// <param name="lease">Ask for a lease read (<see cref="IRaftNodeChannel.ReadLeasedAsync"/>); ignored with <paramref name="stale"/>.</param>
    private async Task<KvResult> ReadAsync(KvOperation operation, bool stale, CancellationToken cancellationToken, bool lease = false)
    {
        Validate(operation);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(_options.OverallDeadline);
        var attempts = NewAttempts();
        while (true)
        {
            Attempt attempt;
            try
            {
                attempt = await AttemptAsync((node, token) => lease && !stale
                        ? _channel.ReadLeasedAsync(node, operation, token)
                        : _channel.ReadAsync(node, operation, stale, token),
                    _options.ReadAttemptTimeout, attempts, deadline.Token, cancellationToken);
            }
            catch (DeadlinePassedException passed)
            {
                // A read changes nothing, so even one cut in flight certainly had no effect.
                throw new KvUnavailableException(
                    $"the read timed out: no node answered it within {_options.OverallDeadline.TotalSeconds:0.#} s (last: {passed.LastWhy})");
            }
            if (attempt.End == AttemptEnd.Served)
            {
                return attempt.Result!;
            }
        }
    }

    /// <summary>The current session, opened on the cluster first if it is not yet. OpenSession is idempotent
    /// while the session lives, so it is simply retried.</summary>
    private async Task<SessionNumbering> OpenedSessionAsync(OperationAttempts attempts, CancellationToken deadline, CancellationToken caller)
    {
        var session = Volatile.Read(ref _session);
        while (!session.Opened)
        {
            var command = KvCommandCodec.Encode(KvCommand.OpenSession(session.ClientId));
            Attempt attempt;
            try
            {
                attempt = await AttemptAsync((node, token) => _channel.ProposeAsync(node, command, token),
                    _options.WriteAttemptTimeout, attempts, deadline, caller);
            }
            catch (DeadlinePassedException passed)
            {
                // The operation itself was never sent, so it certainly did not apply; the session may have
                // been opened on the cluster (harmless: the next call opens it again, idempotently).
                var opened = passed.MayHaveTakenEffect ? "a client session may have been opened, but" : "no client session was opened and";
                throw new KvUnavailableException(
                    $"the write timed out after {_options.OverallDeadline.TotalSeconds:0.#} s: {opened} the write was not sent, so it was not applied (last: {passed.LastWhy})");
            }
            if (attempt.End == AttemptEnd.Served)
            {
                if (!attempt.Result!.IsOk)
                {
                    throw Unexpected(attempt.Result);
                }
                session.Opened = true;
            }
        }
        return session;
    }

    private void ReplaceSession(SessionNumbering expired)
    {
        lock (_sessionGate)
        {
            if (ReferenceEquals(_session, expired))
            {
                Volatile.Write(ref _session, NewSession());
            }
        }
    }

    /// <summary>One attempt at the current target node, bounded by <paramref name="attemptTimeout"/>; moves the
    /// leader cache and pauses as the outcome asks. Throws <see cref="DeadlinePassedException"/> when the
    /// overall deadline passes first (during the call, or during the pause after it; either way it says
    /// whether this attempt may have taken effect), and <see cref="OperationCanceledException"/> when the
    /// caller cancels.</summary>
    private async Task<Attempt> AttemptAsync(Func<string, CancellationToken, Task<ClientReply>> call, TimeSpan attemptTimeout,
        OperationAttempts attempts, CancellationToken deadline, CancellationToken caller)
    {
        var node = _leader.Target;
        if (deadline.IsCancellationRequested && !caller.IsCancellationRequested)
        {
            // The last attempt ended (refused) as the deadline passed. A call made now could still reach the
            // node, since a channel need not check a cancelled token before sending; making none keeps the
            // write certainly not applied.
            throw new DeadlinePassedException($"the deadline passed before an attempt at {node}", mayHaveTakenEffect: false);
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(deadline);
        limit.CancelAfter(attemptTimeout);
        Attempt attempt;
        var nothingListening = false;
        try
        {
            // WaitAsync as well: the limit must hold even if a call ignores its token.
            var reply = await call(node, limit.Token).WaitAsync(limit.Token);
            attempt = Classify(node, reply);
        }
        catch (OperationCanceledException) when (caller.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            // Cut in flight: the node may have appended the proposal and may commit it after the deadline.
            throw new DeadlinePassedException($"{node}: no answer before the deadline", mayHaveTakenEffect: true);
        }
        catch (OperationCanceledException)
        {
            attempt = new Attempt(AttemptEnd.Lost, null, null, $"{node}: no answer within {attemptTimeout.TotalMilliseconds:0} ms");
        }
        catch (NodeUnreachableException e)
        {
            attempt = new Attempt(AttemptEnd.Refused, null, null, e.Message);
            nothingListening = e.NothingListening;
            if (nothingListening) attempts.NotRunning[node] = e.Reason;
        }
        catch (Exception e)
        {
            // Timeouts and broken connections of the transport: the request may have arrived.
            attempt = new Attempt(AttemptEnd.Lost, null, null, $"{node}: {e.GetType().Name}: {e.Message.Split('\n')[0].Trim()}");
        }

        if (!nothingListening) attempts.NotRunning.Remove(node);
        if (_options.GiveUpWhenNoNodeIsRunning && attempts.NotRunning.Count > 0 && _channel.Nodes.All(attempts.NotRunning.ContainsKey))
        {
            // Refused TCP connections mean nothing was sent anywhere: certainly not applied (a caller that
            // saw an earlier attempt lost turns this into outcome unknown).
            throw new KvNoNodeRunningException(
                $"no node is running: every node's gateway refused the connection ({string.Join("; ", _channel.Nodes.Select(n => $"{n}: {attempts.NotRunning[n]}"))})");
        }

        var pause = attempt.End switch
        {
            AttemptEnd.Served => Succeeded(node),
            AttemptEnd.Busy => true,
            _ => _leader.Move(node, attempt.LeaderHint),
        };
        if (pause)
        {
            await PauseAsync(attempts.Backoff, deadline, caller, attempt.Why, mayHaveTakenEffect: attempt.End == AttemptEnd.Lost);
        }
        return attempt;
    }

    private bool Succeeded(string node)
    {
        _leader.Succeeded(node);
        return false;
    }

    private static Attempt Classify(string node, ClientReply reply) => reply.Status switch
    {
        ClientReplyStatus.Applied => Served(node, reply),
        ClientReplyStatus.NotLeader => new Attempt(AttemptEnd.Refused, null, reply.LeaderHint,
            $"{node}: not leader (hint: {reply.LeaderHint ?? "none"})"),
        ClientReplyStatus.Busy => new Attempt(AttemptEnd.Busy, null, null, $"{node}: busy"),
        ClientReplyStatus.Unavailable => new Attempt(AttemptEnd.Refused, null, reply.LeaderHint, $"{node}: unavailable"),
        ClientReplyStatus.LeadershipLost => new Attempt(AttemptEnd.Refused, null, reply.LeaderHint, $"{node}: lost leadership, entry overwritten"),
        _ => new Attempt(AttemptEnd.Lost, null, reply.LeaderHint, $"{node}: outcome unknown (propose timed out)"),
    };

    private static Attempt Served(string node, ClientReply reply)
    {
        var result = KvResultCodec.Decode(reply.Result ?? throw new InvalidOperationException($"{node} answered Applied without a result"));
        // The session holds too many unanswered sequences: nothing was applied; wait for answers to drain.
        return result.Status == KvStatus.TooManyOutstanding
            ? new Attempt(AttemptEnd.Busy, result, null, $"{node}: {result.Message}")
            : new Attempt(AttemptEnd.Served, result, null, $"{node}: served");
    }

    private static async Task PauseAsync(Backoff backoff, CancellationToken deadline, CancellationToken caller, string why,
        bool mayHaveTakenEffect)
    {
        try
        {
            await Task.Delay(backoff.Next(), deadline);
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            throw new DeadlinePassedException(why, mayHaveTakenEffect);
        }
    }

    private OperationAttempts NewAttempts()
    {
        lock (_random)
        {
            return new OperationAttempts(new Backoff(_options.InitialBackoff, _options.MaxBackoff, new Random(_random.Next())));
        }
    }

    /// <summary>What one operation carries from attempt to attempt: its backoff, and the nodes whose latest
    /// attempt found nothing listening at their gateway (with why), for <see cref="RaftKvClientOptions.GiveUpWhenNoNodeIsRunning"/>.</summary>
    private sealed class OperationAttempts(Backoff backoff)
    {
        public Backoff Backoff { get; } = backoff;

        public Dictionary<string, string> NotRunning { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>The overall deadline passed; <see cref="LastWhy"/> says what the last attempt saw, and
    /// <see cref="MayHaveTakenEffect"/> whether that attempt may have reached a leader's log (it was cut in
    /// flight, or its answer was lost before the pause the deadline cut).</summary>
    private sealed class DeadlinePassedException(string lastWhy, bool mayHaveTakenEffect) : Exception(lastWhy)
    {
        public string LastWhy { get; } = lastWhy;

        public bool MayHaveTakenEffect { get; } = mayHaveTakenEffect;
    }
}
