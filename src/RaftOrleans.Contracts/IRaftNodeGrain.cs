namespace RaftOrleans.Contracts;

/// <summary>A Raft node. The key is the node id, which is also the name of the only silo it may
/// live on (`n3` lives on silo `n3`).</summary>
public interface IRaftNodeGrain : IGrainWithStringKey
{
    [ResponseTimeout("00:00:02")]
    Task<NodeStatus> GetStatus();

    /// <summary>Peer to peer: hands a batch of Raft messages to this node. One-way: Raft's answers travel
    /// back as deliveries of their own and a lost batch is only a lost message, which Raft tolerates, so
    /// an Orleans response would be a second message (and a wake-up of a thread on each silo) per batch
    /// that tells the sender nothing it needs; without it a write's replication costs a third fewer
    /// context switches (measured with `bench write`, 1 client: 122 to 77-99 per write). Two nodes
    /// delivering to each other can never deadlock. The token bounds only the sending side (an injected
    /// delay of the fault filter).</summary>
    [Orleans.Concurrency.OneWay]
    Task Deliver(WireMessage[] batch, CancellationToken cancellationToken);

    /// <summary>Appends <paramref name="command"/> to the replicated log if this node leads, and
    /// returns once the entry is applied (or known lost, or the node's propose timeout passed).</summary>
    [ResponseTimeout("00:00:10")]
    Task<ClientReply> Propose(byte[] command);

    /// <summary>Answers a read-only <paramref name="query"/> (an encoded read operation of the state
    /// machine) without writing to the log. Linearizable by default: the node obtains a read index
    /// (dissertation §6.4: the leader confirms its leadership with a heartbeat round; a follower asks the
    /// leader), waits until it has applied that index, then queries its state machine. With
    /// <paramref name="allowStale"/> any node answers at once from what it has applied (the reply's
    /// Index says how far that is). Status and LeaderHint as for <see cref="Propose"/>.</summary>
    [ResponseTimeout("00:00:05")]
    Task<ClientReply> Read(byte[] query, bool allowStale);

    /// <summary>Linearizable like <see cref="Read"/>, but a leader may answer from its lease (§6.4.1): within an
    /// election timeout, less a clock drift bound, of a heartbeat round a majority acknowledged, no other
    /// leader can have been elected, so no heartbeat round is needed. Timed on the leader's monotonic clock.
    /// A follower forwards it as an ordinary read index request.</summary>
    [ResponseTimeout("00:00:05")]
    Task<ClientReply> ReadLeased(byte[] query);

    /// <summary>Up to <paramref name="maxEntries"/> committed entries from <paramref name="fromIndex"/>
    /// on, as this node holds them (for log comparison in tests and tools). Entries compacted into a
    /// snapshot are not held any more: the answer then starts at the first held index (see
    /// <see cref="NodeStatus.FirstLogIndex"/>).</summary>
    [ResponseTimeout("00:00:05")]
    Task<CommittedEntry[]> ReadCommittedLog(long fromIndex, int maxEntries);

    /// <summary>Adds a learner, promotes a learner to voter, or removes a member, one server at a time
    /// (dissertation §4.1), through the leader: a follower answers NotLeader with the leader it knows.
    /// Returns once the change committed, or with why not; Unknown when the node's limit passed first
    /// (the change may still commit).</summary>
    [ResponseTimeout("00:00:10")]
    Task<MembershipReply> ChangeMembership(MembershipChangeKind kind, string node);

    /// <summary>Hands leadership to the voter <paramref name="target"/> (§3.10): asked of the leader,
    /// Done once the target leads, Unknown when it did not take over within two election timeouts.</summary>
    [ResponseTimeout("00:00:10")]
    Task<MembershipReply> TransferLeadership(string target);

    /// <summary>The configuration in force on this node; on the leader with each member's match index.</summary>
    [ResponseTimeout("00:00:02")]
    Task<MembershipView> GetMembership();
}
