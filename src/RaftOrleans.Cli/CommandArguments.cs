using System.Globalization;
using System.Numerics;

namespace RaftOrleans.Cli;

/// <summary>"--name value" (or "--name=value") options and "--flag" switches after a command, refusing any
/// option it was not told about, with one-line errors; "--" ends the options. The one parser of every raftctl
/// command.</summary>
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
            if (arg == "--")
            {
                // Everything after "--" is a value, even if it starts with "--" (`raftctl put k -- --v`).
                positional.AddRange(args.Skip(i + 1));
                break;
            }
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=') is > 2 and var equals
                && valueOptions.Contains(arg[..equals]))
            {
                options[arg[..equals]] = arg[(equals + 1)..];
            }
            else if (flags.Contains(arg))
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

    /// <summary>A duration option ("500ms", "5s", "2m", or a bare number of seconds) within [min, max].</summary>
    public TimeSpan Duration(string option, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        var text = Value(option);
        if (text is null)
        {
            return fallback;
        }

        return TryParseDuration(text, out var duration) && duration >= min && duration <= max
            ? duration
            : throw new UsageException($"{option} must be a duration from {Show(min)} to {Show(max)} (e.g. 500ms, 5s, 2m), not '{text}'");
    }

    private static string Show(TimeSpan span) => span.TotalSeconds < 1 ? $"{span.TotalMilliseconds:0}ms" : $"{span.TotalSeconds:0.###}s";

    /// <summary>"500ms", "60s", "2m", or a bare number of seconds.</summary>
    public static bool TryParseDuration(string text, out TimeSpan duration)
    {
        var (number, unit) = text.EndsWith("ms", StringComparison.Ordinal) ? (text[..^2], 1e-3)
            : text.EndsWith('s') ? (text[..^1], 1.0)
            : text.EndsWith('m') ? (text[..^1], 60.0)
            : (text, 1.0);
        var ok = double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && value > 0 && !double.IsInfinity(value) && value * unit <= TimeSpan.MaxValue.TotalSeconds;
        duration = ok ? TimeSpan.FromSeconds(value * unit) : TimeSpan.Zero;
        return ok;
    }
}
