using System.Security.Cryptography;

namespace RaftOrleans.Simulation;

/// <summary>
/// The simulated application: it folds every applied command into a running digest. Two replicas that
/// applied the same commands in the same order have the same digest at the same index, so comparing
/// digests checks State Machine Safety across snapshots too. A snapshot is the digest, padded so
/// that it takes several chunks to send.
/// </summary>
public sealed class SimStateMachine
{
    public const int SnapshotBytes = 200;

    public long AppliedIndex { get; private set; }

    public byte[] Digest { get; private set; } = new byte[32];

    public void Apply(long index, byte[] command)
    {
        if (index != AppliedIndex + 1) throw new InvalidOperationException($"applied {index} after {AppliedIndex}");
        var input = new byte[Digest.Length + command.Length + 8];
        Digest.CopyTo(input, 0);
        command.CopyTo(input, Digest.Length);
        BitConverter.TryWriteBytes(input.AsSpan(Digest.Length + command.Length), index);
        Digest = SHA256.HashData(input);
        AppliedIndex = index;
    }

    /// <summary>Entries without a command (no-ops, configuration changes) still advance the index.</summary>
    public void Skip(long index)
    {
        if (index != AppliedIndex + 1) throw new InvalidOperationException($"applied {index} after {AppliedIndex}");
        AppliedIndex = index;
    }

    public byte[] Snapshot()
    {
        var data = new byte[SnapshotBytes];
        BitConverter.TryWriteBytes(data, AppliedIndex);
        Digest.CopyTo(data, 8);
        return data;
    }

    public static SimStateMachine Restore(byte[] data)
    {
        if (data.Length != SnapshotBytes) throw new InvalidOperationException($"snapshot of {data.Length} bytes, expected {SnapshotBytes}");
        return new SimStateMachine { AppliedIndex = BitConverter.ToInt64(data, 0), Digest = data.AsSpan(8, 32).ToArray() };
    }
}
