using System.Runtime.InteropServices;

namespace RaftOrleans.Launcher;

/// <summary>Sends signals to silo processes: .NET can only SIGKILL (Process.Kill), and the launcher also
/// needs SIGTERM (graceful stop), SIGSTOP (freeze, to test a node that hangs rather than dies) and SIGCONT.</summary>
public static class PosixSignals
{
    public static int Interrupt => 2;
    public static int Kill => 9;
    public static int Terminate => 15;
    public static int Stop => OperatingSystem.IsMacOS() ? 17 : 19;
    public static int Continue => OperatingSystem.IsMacOS() ? 19 : 18;

    /// <summary>True when the signal was delivered (the process exists and is ours to signal).</summary>
    public static bool Send(int pid, int signal) => SendSignal(pid, signal) == 0;

    /// <summary>True while the process exists and is not a zombie waiting to be reaped.</summary>
    public static bool IsAlive(int pid)
    {
        if (pid <= 0 || SendSignal(pid, 0) != 0)
        {
            return false;
        }

        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return !OperatingSystem.IsLinux();
        }

        try
        {
            var text = File.ReadAllText(stat);
            // The state letter follows the command name in parentheses: "1234 (dotnet) S ...".
            var state = text[(text.LastIndexOf(')') + 2)..].FirstOrDefault();
            return state != 'Z' && state != 'X';
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>True when the process is stopped (SIGSTOP), as far as the platform tells.</summary>
    public static bool IsPaused(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            return text[(text.LastIndexOf(')') + 2)..].FirstOrDefault() == 'T';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    // DllImport rather than LibraryImport: the generated marshaller needs unsafe code, and two ints need none.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
}
