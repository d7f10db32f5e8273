using Orleans.Configuration;

namespace RaftOrleans.Silo;

/// <summary>Orleans membership tuned to notice a dead silo in seconds rather than Orleans' default half
/// minute, so that gateways and the placement director stop offering a killed silo quickly.
///
/// The trade-off: a silo that cannot answer probes for about six seconds (starved of CPU, stopped in a
/// debugger or by SIGSTOP, a long GC pause) can be voted dead by the others; a silo that learns it was
/// declared dead shuts itself down, and must be started again (`raftctl cluster start nX`). Raft never
/// waits on membership: elections and replication run on the node grains' own timers and per-call
/// timeouts, so this tuning only decides how fast Orleans' own routing forgets a silo.
/// Indirect probes stay on: another silo must also fail to reach a suspect before it is voted dead, which
/// keeps one overloaded prober from killing a healthy silo (a SIGSTOPped silo is then not declared dead at
/// all; it comes back when continued).
/// Why 2 s x 3 missed probes and not 1 s x 2: with 1 s x 2, on a machine saturated by a 16-client benchmark
/// (load 17 on 2 cores) a silo just restarted, still warming up, was voted dead, restarted and voted dead
/// again, and two demo runs of two failed for it. The price is in failover: a survivor's first message to the
/// other can wait for the grain directory until the killed silo is declared dead (about 2.5 s instead of 1 s),
/// which happened in 1 of 7 kills measured (docs/bench, 2026-12-02 fifth sitting).</summary>
public static class MembershipTuning
{
    public static void Apply(ClusterMembershipOptions options)
    {
        options.ProbeTimeout = TimeSpan.FromSeconds(2);
        options.NumMissedProbesLimit = 3;
        options.TableRefreshTimeout = TimeSpan.FromSeconds(2);
        options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        options.NumMissedTableIAmAliveLimit = 3;
    }

    /// <summary>Backstops for calls that carry no limit of their own; Raft calls carry their own.</summary>
    public static void Apply(SiloMessagingOptions options)
    {
        options.ResponseTimeout = TimeSpan.FromSeconds(5);
    }

    /// <summary>A frozen peer still accepts TCP connections: only this limit ends the handshake wait.</summary>
    public static void Apply(ConnectionOptions options)
    {
        options.OpenConnectionTimeout = TimeSpan.FromSeconds(1);
    }
}
