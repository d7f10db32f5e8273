namespace RaftOrleans.Cli;

/// <summary>`-w`/`--write-out FORMAT`, as etcdctl: each command names the formats it has, the first its default.
/// The key-value commands have simple and json; status and member list have table and json.</summary>
public static class WriteOut
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string> { "-w", "--write-out" };

    /// <summary>The format asked for, or <paramref name="formats"/>[0]; a format the command does not have is a usage error.</summary>
    public static string Parse(CommandArguments arguments, string command, params string[] formats)
    {
        var format = arguments.Value("--write-out") ?? arguments.Value("-w") ?? formats[0];
        return formats.Contains(format)
            ? format
            : throw new UsageException($"-w {format}: {command} writes {string.Join(" or ", formats)}");
    }
}
