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
    public override string ToString() => $"{Type} {NodeId}";
}

/// <summary>
/// What a configuration-change log entry holds: the change and the whole configuration it results in.
/// Carrying the whole configuration (as hashicorp/raft's configuration entries do) is what lets a node
/// that joins with no configuration of its own learn it from the first change entry it receives; a
/// change alone, applied to its empty base, would leave it believing it was the only voter.
/// </summary>
public sealed record ConfigChangeEntry(ConfigChange Change, ClusterConfig Result)
{
    /// <summary>First byte of the current format. Entries written before it start with the change type
    /// (1 to 3) followed by the node id, and carry no configuration.</summary>
    private const byte WholeConfigurationFormat = 0xC1;

    public byte[] Encode()
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(WholeConfigurationFormat);
            writer.Write((byte)Change.Type);
            writer.Write(Change.NodeId);
            WriteIds(writer, Result.Voters);
            WriteIds(writer, Result.Learners);
        }
        return buffer.ToArray();
    }

    /// <summary>Decodes an entry; <paramref name="previous"/> (the configuration in force before it) is
    /// needed only for entries in the older, change-only format.</summary>
    public static ConfigChangeEntry Decode(byte[] data, ClusterConfig previous)
    {
        if (data.Length >= 2 && data[0] != WholeConfigurationFormat && Enum.IsDefined((ConfigChangeType)data[0]))
        {
            var legacy = new ConfigChange((ConfigChangeType)data[0], Encoding.UTF8.GetString(data, 1, data.Length - 1));
            return new ConfigChangeEntry(legacy, previous.Apply(legacy));
        }
        try
        {
            using var reader = new BinaryReader(new MemoryStream(data), Encoding.UTF8);
            if (reader.ReadByte() != WholeConfigurationFormat) throw new InvalidDataException("unknown format");
            var type = (ConfigChangeType)reader.ReadByte();
            if (!Enum.IsDefined(type)) throw new InvalidDataException($"unknown change type {type}");
            var change = new ConfigChange(type, reader.ReadString());
            var voters = ReadIds(reader);
            var learners = ReadIds(reader);
            return new ConfigChangeEntry(change, new ClusterConfig(voters, learners));
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException)
        {
            throw new InvalidOperationException("malformed configuration change entry", e);
        }
    }

    private static void WriteIds(BinaryWriter writer, IReadOnlyList<string> ids)
    {
        writer.Write(ids.Count);
        foreach (var id in ids) writer.Write(id);
    }

    private static string[] ReadIds(BinaryReader reader)
    {
        var count = reader.ReadInt32();
        if (count < 0 || count > 1024) throw new InvalidDataException($"implausible member count {count}");
        var ids = new string[count];
        for (var i = 0; i < count; i++) ids[i] = reader.ReadString();
        return ids;
    }

    public override string ToString() => $"{Change} -> {Result}";
}
