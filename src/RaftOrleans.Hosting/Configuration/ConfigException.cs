namespace RaftOrleans.Hosting.Configuration;

/// <summary>A configuration value that cannot be used. <see cref="Exception.Message"/> is one line that names
/// where the value came from (the file and the key, or the command-line option) and what is wrong with it.</summary>
public sealed class ConfigException(string origin, string problem, Exception? inner = null)
    : Exception($"{origin}: {problem}", inner)
{
    /// <summary>"silo-config/n1.json: siloPort" or "option --silo-port".</summary>
    public string Origin { get; } = origin;
}
