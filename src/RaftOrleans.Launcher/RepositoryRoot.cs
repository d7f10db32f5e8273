namespace RaftOrleans.Launcher;

/// <summary>Finds the checkout: $RAFTORLEANS_ROOT (set by the raftctl wrapper), else the first folder
/// holding RaftOrleans.sln above the current folder or above this program.</summary>
public static class RepositoryRoot
{
    public static string Find()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("RAFTORLEANS_ROOT");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(Path.Combine(fromEnvironment, "RaftOrleans.sln")))
        {
            return Path.GetFullPath(fromEnvironment);
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                if (File.Exists(Path.Combine(folder.FullName, "RaftOrleans.sln")))
                {
                    return folder.FullName;
                }
            }
        }

        throw new LauncherException("cannot find the RaftOrleans checkout (no RaftOrleans.sln above this folder); set RAFTORLEANS_ROOT");
    }
}

/// <summary>A launcher failure with a message meant for the user (one line).</summary>
public sealed class LauncherException(string message) : Exception(message);
