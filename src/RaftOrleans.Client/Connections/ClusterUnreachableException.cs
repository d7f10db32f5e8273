namespace RaftOrleans.Client.Connections;

/// <summary>No gateway of the cluster answered within the connect limit.</summary>
public sealed class ClusterUnreachableException(string message, Exception? inner = null) : Exception(message, inner);
