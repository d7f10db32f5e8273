using System.Globalization;

namespace RaftOrleans.Cli;

/// <summary>Parses `--name value` and `--flag` options, refusing anything it was not told about.</summary>
public sealed class Options
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly List<string> _positionals = new();

    /// <param name="args">The arguments after the command name.</param>
    /// <param name="valued">Options that take a value, without the leading dashes.</param>
    /// <param name="flags">Options that take none.</param>
    public Options(IEnumerable<string> args, IEnumerable<string> valued, IEnumerable<string> flags)
    {
        var valuedSet = valued.ToHashSet();
        var flagSet = flags.ToHashSet();
        using var it = args.GetEnumerator();
        while (it.MoveNext())
        {
            var arg = it.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                _positionals.Add(arg);
                continue;
            }
            var name = arg[2..];
            if (flagSet.Contains(name)) _values[name] = null;
            else if (valuedSet.Contains(name))
            {
                if (!it.MoveNext()) throw new UsageException($"option --{name} needs a value");
                _values[name] = it.Current;
            }
            else throw new UsageException($"unknown option --{name}");
        }
    }

    public IReadOnlyList<string> Positionals => _positionals;

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public int GetInt(string name, int fallback, int min, int max)
    {
        if (!_values.TryGetValue(name, out var text) || text is null) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new UsageException($"--{name} must be a whole number from {min} to {max}, not '{text}'");
        return value;
    }

    public double GetDouble(string name, double fallback, double min, double max)
    {
        if (!_values.TryGetValue(name, out var text) || text is null) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new UsageException($"--{name} must be a number from {min} to {max}, not '{text}'");
        return value;
    }
}
