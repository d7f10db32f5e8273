using System.Globalization;
using System.Text;

namespace RaftOrleans.Cli.Bench;

/// <summary>Writes rows as RFC 4180 CSV: numbers in the invariant culture (a decimal point, whatever the
/// machine's locale), text quoted when it holds a comma, a quote or a line break.</summary>
public static class CsvTable
{
    public static string Render(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        var text = new StringBuilder();
        text.Append(string.Join(",", header.Select(Cell))).Append('\n');
        foreach (var row in rows)
        {
            if (row.Count != header.Count)
            {
                throw new ArgumentException($"a row has {row.Count} cells, the header {header.Count}");
            }

            text.Append(string.Join(",", row.Select(Cell))).Append('\n');
        }

        return text.ToString();
    }

    private static string Cell(object? value) => value switch
    {
        null => "",
        double number when !double.IsFinite(number) => "",
        double number => number.ToString("0.###", CultureInfo.InvariantCulture),
        IFormattable formattable => Quote(formattable.ToString(null, CultureInfo.InvariantCulture)),
        _ => Quote(value.ToString() ?? ""),
    };

    private static string Quote(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) < 0 ? text : $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
