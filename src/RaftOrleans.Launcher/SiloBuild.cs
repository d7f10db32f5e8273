using System.Diagnostics;

namespace RaftOrleans.Launcher;

/// <summary>Builds the silo (src/RaftOrleans.Silo) into .raftctl/silo once, and again only when a source
/// file changed since, so that `cluster up` starts silos from a fixed build instead of `dotnet run`.
/// A file lock makes concurrent launchers (parallel tests) wait for one build. The build goes to a new
/// folder that then replaces the old one by renames: silos still running from the old build keep their
/// files (overwriting a loaded assembly in place could crash them).</summary>
public static class SiloBuild
{
    public const string SiloDllName = "raft-silo.dll";

    public static string EnsureBuilt(string repositoryRoot, TextWriter progress, string? prebuiltSiloDll = null)
    {
        if (prebuiltSiloDll is not null && File.Exists(prebuiltSiloDll)
            && NewestSource(repositoryRoot) <= File.GetLastWriteTimeUtc(prebuiltSiloDll))
        {
            return prebuiltSiloDll;
        }

        var stateFolder = Path.Combine(repositoryRoot, ".raftctl");
        var output = Path.Combine(stateFolder, "silo");
        var stamp = Path.Combine(stateFolder, "silo.build.stamp");
        var dll = Path.Combine(output, SiloDllName);
        Directory.CreateDirectory(stateFolder);

        using var buildLock = AcquireLock(Path.Combine(stateFolder, "silo.build.lock"));
        if (File.Exists(dll) && File.Exists(stamp) && NewestSource(repositoryRoot) <= File.GetLastWriteTimeUtc(stamp))
        {
            return dll;
        }

        progress.WriteLine("raftctl: building the silo (first run, or sources changed)...");
        var stampTime = DateTime.UtcNow;
        var log = Path.Combine(stateFolder, "silo.build.log");
        var fresh = output + ".new";
        if (Directory.Exists(fresh))
        {
            Directory.Delete(fresh, recursive: true);
        }

        var start = new ProcessStartInfo(DotnetHost.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = repositoryRoot,
        };
        foreach (var argument in new[]
                 {
                     "build", Path.Combine(repositoryRoot, "src", "RaftOrleans.Silo", "RaftOrleans.Silo.csproj"),
                     "-c", "Release", "-o", fresh, "--nologo", "-v", "quiet",
                 })
        {
            start.ArgumentList.Add(argument);
        }

        using var build = Process.Start(start) ?? throw new LauncherException("cannot start dotnet to build the silo");
        var stdout = build.StandardOutput.ReadToEndAsync();
        var stderr = build.StandardError.ReadToEndAsync();
        build.WaitForExit();
        File.WriteAllText(log, stdout.Result + stderr.Result);
        if (build.ExitCode != 0 || !File.Exists(Path.Combine(fresh, SiloDllName)))
        {
            throw new LauncherException($"the silo build failed (exit {build.ExitCode}); see {log}");
        }

        if (Directory.Exists(output))
        {
            // Kept, not deleted: a silo still running from it may yet load an assembly from its folder.
            Directory.Move(output, $"{output}.old-{DateTime.UtcNow.Ticks}");
        }

        DeleteRetiredBuilds(stateFolder);

        Directory.Move(fresh, output);

        File.WriteAllText(stamp, "");
        File.SetLastWriteTimeUtc(stamp, stampTime);
        return dll;
    }

    private static DateTime NewestSource(string repositoryRoot)
    {
        var newest = DateTime.MinValue;
        var roots = new[] { Path.Combine(repositoryRoot, "src"), Path.Combine(repositoryRoot, "silo-config", "sql") };
        foreach (var root in roots.Where(Directory.Exists))
        {
            foreach (var file in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
            {
                var separator = Path.DirectorySeparatorChar;
                if (file.Contains($"{separator}bin{separator}") || file.Contains($"{separator}obj{separator}"))
                {
                    continue;
                }

                if (file.EndsWith(".cs") || file.EndsWith(".csproj") || file.EndsWith(".sql") || file.EndsWith(".json"))
                {
                    newest = Max(newest, File.GetLastWriteTimeUtc(file));
                }
            }
        }

        foreach (var props in Directory.EnumerateFiles(repositoryRoot, "Directory.*.props"))
        {
            newest = Max(newest, File.GetLastWriteTimeUtc(props));
        }

        return newest;
    }

    /// <summary>Retired builds older than a day: no silo of a local cluster runs that long unnoticed.</summary>
    private static void DeleteRetiredBuilds(string stateFolder)
    {
        foreach (var retired in Directory.EnumerateDirectories(stateFolder, "silo.old-*"))
        {
            if (Directory.GetLastWriteTimeUtc(retired) < DateTime.UtcNow.AddDays(-1))
            {
                try
                {
                    Directory.Delete(retired, recursive: true);
                }
                catch (IOException)
                {
                    // Still in use: next time.
                }
            }
        }
    }

    private static DateTime Max(DateTime a, DateTime b) => a > b ? a : b;

    private static FileStream AcquireLock(string path)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(200);
            }
        }
    }
}

/// <summary>The dotnet executable: the one running this program when it is dotnet, else the one on PATH.</summary>
public static class DotnetHost
{
    public static string Path
    {
        get
        {
            var current = Environment.ProcessPath;
            if (current is not null && System.IO.Path.GetFileNameWithoutExtension(current) == "dotnet")
            {
                return current;
            }

            var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            return !string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk) ? fromSdk : "dotnet";
        }
    }
}
