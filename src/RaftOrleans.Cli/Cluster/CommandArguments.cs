using System.Globalization;

namespace RaftOrleans.Cli.Cluster;

/// <summary>"--name value" options and "--flag" switches after a command, with one-line errors.</summary>
public sealed class CommandArguments
{
    private readonly Dictionary<string, string?> options = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Positional { get; }

    public CommandArguments(IReadOnlyList<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flags)
    {
        var positional = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (flags.Contains(arg))
            {
                options[arg] = null;
            }
            else if (valueOptions.Contains(arg))
            {
                if (i + 1 >= args.Count)
                {
                    throw new UsageException($"{arg} needs a value");
                }

                options[arg] = args[++i];
            }
            else if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unknown option {arg}");
            }
            else
            {
                positional.Add(arg);
            }
        }

        Positional = positional;
    }

    public bool Has(string flag) => options.ContainsKey(flag);

    public string? Value(string option) => options.TryGetValue(option, out var value) ? value : null;

    public int Int(string option, int fallback)
    {
        var text = Value(option);
        if (text is null)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new UsageException($"{option} {text}: not a whole number");
    }
}
