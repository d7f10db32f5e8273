namespace RaftOrleans.History;

/// <summary>A history that cannot be read or paired: names the line (1-based) when there is one.</summary>
public sealed class HistoryFormatException(string message, Exception? inner = null) : Exception(message, inner);
