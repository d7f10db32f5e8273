using System.Globalization;
using System.Numerics;

namespace RaftOrleans.Cli;

/// <summary>"--name value" options and "--flag" switches after a command, refusing any option it was not
/// told about, with one-line errors. The one parser of every raftctl command.</summary>
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

    public int Int(string option, int fallback, int min, int max) =>
        Number(option, fallback, min, max, NumberStyles.Integer, "a whole number");

    public double Double(string option, double fallback, double min, double max) =>
        Number(option, fallback, min, max, NumberStyles.Float, "a number");

    private T Number<T>(string option, T fallback, T min, T max, NumberStyles styles, string kind) where T : INumber<T>
    {
        var text = Value(option);
        if (text is null)
        {
            return fallback;
        }

        return T.TryParse(text, styles, CultureInfo.InvariantCulture, out var number) && number >= min && number <= max
            ? number
            : throw new UsageException($"{option} must be {kind} from {min} to {max}, not '{text}'");
    }
}
