namespace RaftOrleans.KeyValue.Encoding;

/// <summary>Bytes that are not a valid encoded command, result or snapshot.</summary>
public sealed class KvFormatException(string message, Exception? inner = null) : FormatException(message, inner);
