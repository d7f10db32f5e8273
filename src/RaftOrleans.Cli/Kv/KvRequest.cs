using System.Globalization;

namespace RaftOrleans.Cli.Kv;

/// <summary>One key-value command as typed (on the command line or at the prompt), checked for shape before
/// any connection is made, so a usage error costs nothing and says what is wrong in one line.</summary>
public sealed record KvRequest(string Verb, string Key, string? Value, string? Expected, bool Absent, bool Stale, int Limit, bool Lease = false,
    bool Json = false)
{
    /// <summary>-w/--write-out, as etcdctl: "simple" (the default: the value, or key TAB value per line) or "json".</summary>
    public static readonly IReadOnlySet<string> ValueOptions = WriteOut.Options;

    public static readonly IReadOnlySet<string> Verbs = new HashSet<string> { "put", "get", "del", "cas", "list", "leader" };

    public static readonly IReadOnlySet<string> Flags = new HashSet<string> { "--stale", "--absent", "--lease" };

    public const int DefaultListLimit = 100;

    public const string Usage = """
        usage: raftctl put KEY VALUE [-w simple|json]
               raftctl get KEY [--stale | --lease] [-w simple|json]
               raftctl del KEY
               raftctl cas KEY EXPECTED NEW | raftctl cas KEY --absent NEW
               raftctl list PREFIX [--limit N] [--stale] [-w simple|json]
               raftctl leader
        """;

    /// <summary>Parses the words after <paramref name="verb"/>; throws <see cref="UsageException"/>.</summary>
    public static KvRequest Parse(string verb, CommandArguments arguments)
    {
        var words = arguments.Positional;
        var stale = arguments.Has("--stale");
        var absent = arguments.Has("--absent");
        var lease = arguments.Has("--lease");
        if (lease && (verb != "get" || stale))
        {
            throw new UsageException(stale ? "--lease and --stale exclude each other" : $"--lease applies to get, not {verb}");
        }
        if (stale && verb is not ("get" or "list"))
        {
            throw new UsageException($"--stale applies to get and list, not {verb}");
        }
        if (absent && verb != "cas")
        {
            throw new UsageException($"--absent applies to cas, not {verb}");
        }
        if (arguments.Value("--limit") is not null && verb != "list")
        {
            throw new UsageException($"--limit applies to list, not {verb}");
        }
        var format = WriteOut.Parse(arguments, verb, "simple", "json");
        if (format == "json" && verb is not ("put" or "get" or "list"))
        {
            throw new UsageException($"-w json applies to put, get and list, not {verb}");
        }
        return ParseWords(verb, words, stale, absent, lease, arguments) with { Json = format == "json" };
    }

    private static KvRequest ParseWords(string verb, IReadOnlyList<string> words, bool stale, bool absent, bool lease, CommandArguments arguments)
    {
        return verb switch
        {
            "put" => Expect(verb, words, 2, "KEY VALUE") with { Key = words[0], Value = words[1] },
            "get" => Expect(verb, words, 1, "KEY") with { Key = words[0], Stale = stale, Lease = lease },
            "del" => Expect(verb, words, 1, "KEY") with { Key = words[0] },
            "cas" when absent => Expect(verb, words, 2, "KEY --absent NEW") with { Key = words[0], Value = words[1], Absent = true },
            "cas" => Expect(verb, words, 3, "KEY EXPECTED NEW (or KEY --absent NEW)") with { Key = words[0], Expected = words[1], Value = words[2] },
            "list" => Expect(verb, words, 1, "PREFIX (\"\" for all keys)") with { Key = words[0], Stale = stale, Limit = ParseLimit(arguments.Value("--limit")) },
            "leader" => Expect(verb, words, 0, ""),
            _ => throw new UsageException($"unknown command '{verb}'"),
        };
    }

    private static KvRequest Expect(string verb, IReadOnlyList<string> words, int count, string shape)
    {
        if (words.Count < count)
        {
            throw new UsageException($"{verb}: missing argument (usage: {verb} {shape})".TrimEnd());
        }
        if (words.Count > count)
        {
            throw new UsageException($"{verb}: unexpected '{words[count]}' (usage: {verb} {shape})");
        }
        return new KvRequest(verb, "", null, null, false, false, DefaultListLimit);
    }

    private static int ParseLimit(string? text)
    {
        if (text is null)
        {
            return DefaultListLimit;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit > 0
            ? limit
            : throw new UsageException($"--limit {text}: not a positive whole number");
    }
}
