using System.Buffers;
using System.Text;
using System.Text.Json;

namespace RaftOrleans.History;

/// <summary>
/// One history event per JSON line, in Jepsen's shape:
/// <c>{"process":3,"type":"invoke","f":"put","key":"k1","value":"v17","time":123456789}</c>.
/// A get carries "value" only on its ok completion (null when absent); a cas always carries
/// "expected" (null: only if absent) and "value", and its ok completion "swapped": false when the
/// expectation did not hold, with "seen", the value found instead (null: absent):
/// <c>{"process":5,"type":"ok","f":"cas","key":"k1","expected":"v16","value":"v17","swapped":false,"seen":"v15","time":9}</c>.
/// Unknown properties are ignored when reading. Files written before "swapped" existed stay readable and
/// mean what they meant: an ok cas without "swapped" swapped, and a refused one was recorded as a fail.
/// </summary>
public static class HistoryJson
{
    public static string Format(HistoryEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("process", e.Process);
            json.WriteString("type", Name(e.Type));
            json.WriteString("f", Name(e.Function));
            json.WriteString("key", e.Key);
            if (e.Function == HistoryFunction.Cas)
            {
                json.WriteString("expected", e.Expected);
            }
            if (e.Function != HistoryFunction.Get || e.Type == HistoryEventType.Ok)
            {
                json.WriteString("value", e.Value);
            }
            if (IsCasCompletion(e.Type, e.Function))
            {
                json.WriteBoolean("swapped", !e.Refused);
                if (e.Refused)
                {
                    json.WriteString("seen", e.Seen);
                }
            }
            json.WriteNumber("time", e.TimeNs);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Parses one line; <paramref name="lineNumber"/> goes into the error message.</summary>
    public static HistoryEvent Parse(string line, int lineNumber)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new FormatException("not a JSON object");
            }
            var type = ParseType(RequiredString(root, "type"));
            var function = ParseFunction(RequiredString(root, "f"));
            var value = OptionalString(root, "value", out var hasValue);
            var expected = OptionalString(root, "expected", out var hasExpected);
            if (function == HistoryFunction.Cas && !hasExpected)
            {
                throw new FormatException("a cas needs \"expected\" (null for only-if-absent)");
            }
            if (function != HistoryFunction.Get && value is null)
            {
                throw new FormatException($"a {Name(function)} needs a string \"value\"");
            }
            if (function == HistoryFunction.Get && type == HistoryEventType.Ok && !hasValue)
            {
                throw new FormatException("an ok get needs \"value\" (null when the key was absent)");
            }
            var refused = IsCasCompletion(type, function) && root.TryGetProperty("swapped", out var swapped) && !swapped.GetBoolean();
            var seen = OptionalString(root, "seen", out var hasSeen);
            if (refused && !hasSeen)
            {
                throw new FormatException("a cas that did not swap needs \"seen\" (null when the key was absent)");
            }
            var process = Required(root, "process").GetInt32();
            var time = Required(root, "time").GetInt64();
            return new HistoryEvent(process, type, function, RequiredString(root, "key"),
                function == HistoryFunction.Get && type != HistoryEventType.Ok ? null : value,
                function == HistoryFunction.Cas ? expected : null, time, refused, refused ? seen : null);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new HistoryFormatException($"line {lineNumber}: {e.Message}", e);
        }
    }

    /// <summary>Reads every non-blank line of <paramref name="reader"/>.</summary>
    public static List<HistoryEvent> ReadAll(TextReader reader)
    {
        var events = new List<HistoryEvent>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (!string.IsNullOrWhiteSpace(line))
            {
                events.Add(Parse(line, lineNumber));
            }
        }
        return events;
    }

    public static List<HistoryEvent> ReadFile(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        return ReadAll(reader);
    }

    public static void WriteAll(TextWriter writer, IEnumerable<HistoryEvent> events)
    {
        foreach (var e in events)
        {
            writer.WriteLine(Format(e));
        }
    }

    private static bool IsCasCompletion(HistoryEventType type, HistoryFunction function) =>
        function == HistoryFunction.Cas && type == HistoryEventType.Ok;

    public static string Name(HistoryEventType type) => type switch
    {
        HistoryEventType.Invoke => "invoke",
        HistoryEventType.Ok => "ok",
        HistoryEventType.Fail => "fail",
        HistoryEventType.Info => "info",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    public static string Name(HistoryFunction function) => function switch
    {
        HistoryFunction.Put => "put",
        HistoryFunction.Get => "get",
        HistoryFunction.Cas => "cas",
        _ => throw new ArgumentOutOfRangeException(nameof(function), function, null),
    };

    private static HistoryEventType ParseType(string text) => text switch
    {
        "invoke" => HistoryEventType.Invoke,
        "ok" => HistoryEventType.Ok,
        "fail" => HistoryEventType.Fail,
        "info" => HistoryEventType.Info,
        _ => throw new FormatException($"unknown type \"{text}\" (invoke, ok, fail or info)"),
    };

    private static HistoryFunction ParseFunction(string text) => text switch
    {
        "put" => HistoryFunction.Put,
        "get" => HistoryFunction.Get,
        "cas" => HistoryFunction.Cas,
        _ => throw new FormatException($"unknown f \"{text}\" (put, get or cas)"),
    };

    private static JsonElement Required(JsonElement root, string name) =>
        root.TryGetProperty(name, out var property) ? property : throw new FormatException($"missing \"{name}\"");

    private static string RequiredString(JsonElement root, string name) =>
        Required(root, name).GetString() ?? throw new FormatException($"\"{name}\" is null");

    private static string? OptionalString(JsonElement root, string name, out bool present)
    {
        present = root.TryGetProperty(name, out var property);
        return present ? property.GetString() : null;
    }
}
