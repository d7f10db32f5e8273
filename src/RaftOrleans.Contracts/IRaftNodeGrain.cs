namespace RaftOrleans.Contracts;

/// <summary>A Raft node. The key is the node id, which is also the name of the only silo it may
/// live on (`n3` lives on silo `n3`).</summary>
public interface IRaftNodeGrain : IGrainWithStringKey
{
    [ResponseTimeout("00:00:02")]
    Task<NodeStatus> GetStatus();
}
