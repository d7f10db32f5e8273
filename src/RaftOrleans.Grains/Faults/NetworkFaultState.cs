using RaftOrleans.Contracts;

namespace RaftOrleans.Grains.Faults;

/// <summary>
/// This silo's copy of the cluster's network fault table: written by <see cref="NetworkFaultsGrain"/>
/// (the console's push) and <see cref="NetworkFaultSync"/> (pull from peers), read by
/// <see cref="PeerTrafficFaultFilter"/> on every outgoing Raft delivery. Newest version wins; the table is
/// immutable, so readers take one reference and need no lock.
/// </summary>
internal sealed class NetworkFaultState
{
    private readonly Lock _gate = new();
    private volatile NetworkFaultTable _current = NetworkFaultTable.None;
    private volatile bool _synced;

    public NetworkFaultTable Current => _current;

    /// <summary>False from silo start until the first pull from the peers has finished (every peer
    /// answered or failed). Until then this silo sends no Raft message at all, so a restarted silo
    /// never slips messages through a partition it has not heard about yet.</summary>
    public bool Synced => _synced;

    public void MarkSynced() => _synced = true;

    /// <summary>Takes <paramref name="table"/> if it is newer; returns the table in force afterwards.</summary>
    public NetworkFaultTable Adopt(NetworkFaultTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        lock (_gate)
        {
            if (table.Version > _current.Version) _current = table;
            return _current;
        }
    }
}
