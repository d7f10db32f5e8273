using System.Text;

namespace RaftOrleans.Raft;

/// <summary>Who is in the cluster: voters decide elections and commitment; learners receive the log but
/// do not vote (they catch up before they are promoted, §4.2.1). Kept sorted, so two equal configurations
/// compare and print the same.</summary>
public sealed class ClusterConfig : IEquatable<ClusterConfig>
{
    public ClusterConfig(IEnumerable<string> voters, IEnumerable<string>? learners = null)
    {
        Voters = voters.Distinct().Order(StringComparer.Ordinal).ToArray();
        Learners = (learners ?? []).Distinct().Except(Voters).Order(StringComparer.Ordinal).ToArray();
    }

    public IReadOnlyList<string> Voters { get; }

    public IReadOnlyList<string> Learners { get; }

    public IEnumerable<string> Members => Voters.Concat(Learners);

    public bool IsVoter(string id) => Voters.Contains(id, StringComparer.Ordinal);

    public bool IsLearner(string id) => Learners.Contains(id, StringComparer.Ordinal);

    public bool IsMember(string id) => IsVoter(id) || IsLearner(id);

    public int Quorum => Voters.Count / 2 + 1;

    public ClusterConfig Apply(ConfigChange change) => change.Type switch
    {
        ConfigChangeType.AddVoter => new ClusterConfig(Voters.Append(change.NodeId), Learners.Where(l => l != change.NodeId)),
        ConfigChangeType.AddLearner => new ClusterConfig(Voters, Learners.Append(change.NodeId)),
        ConfigChangeType.RemoveNode => new ClusterConfig(Voters.Where(v => v != change.NodeId), Learners.Where(l => l != change.NodeId)),
        _ => throw new ArgumentOutOfRangeException(nameof(change), $"unknown change {change.Type}"),
    };

    public bool Equals(ClusterConfig? other) =>
        other is not null && Voters.SequenceEqual(other.Voters) && Learners.SequenceEqual(other.Learners);

    public override bool Equals(object? obj) => Equals(obj as ClusterConfig);

    public override int GetHashCode() => ToString().GetHashCode(StringComparison.Ordinal);

    public override string ToString()
    {
        var text = new StringBuilder("voters {").Append(string.Join(",", Voters)).Append('}');
        if (Learners.Count > 0) text.Append(" learners {").Append(string.Join(",", Learners)).Append('}');
        return text.ToString();
    }
}

public enum ConfigChangeType : byte
{
    /// <summary>Adds a voter, or promotes a learner to voter.</summary>
    AddVoter = 1,
    AddLearner = 2,
    /// <summary>Removes a voter or a learner.</summary>
    RemoveNode = 3,
}

/// <summary>One server added or removed at a time (§4.1): any two majorities of the old and the new
/// configuration overlap, so no joint consensus is needed.</summary>
public sealed record ConfigChange(ConfigChangeType Type, string NodeId)
{
    public byte[] Encode()
    {
        var id = Encoding.UTF8.GetBytes(NodeId);
        var data = new byte[id.Length + 1];
        data[0] = (byte)Type;
        id.CopyTo(data, 1);
        return data;
    }

    public static ConfigChange Decode(byte[] data)
    {
        if (data.Length < 2 || !Enum.IsDefined((ConfigChangeType)data[0]))
            throw new InvalidOperationException("malformed configuration change entry");
        return new ConfigChange((ConfigChangeType)data[0], Encoding.UTF8.GetString(data, 1, data.Length - 1));
    }

    public override string ToString() => $"{Type} {NodeId}";
}
