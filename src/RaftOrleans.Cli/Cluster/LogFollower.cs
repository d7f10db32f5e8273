using System.Text;

namespace RaftOrleans.Cli.Cluster;

/// <summary>`raftctl cluster logs nX -f`: what the log holds from some point on, then what is appended to it,
/// as it comes, until stopped. A log that shrinks (deleted by `cluster up --fresh` and begun anew) is read
/// again from its start; one that does not exist yet is waited for.</summary>
public static class LogFollower
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    /// <param name="fromOffset">Where to start reading (the start of the last lines shown, say).</param>
    public static async Task FollowAsync(string path, long fromOffset, TextWriter output, CancellationToken stop)
    {
        var position = fromOffset;
        var decoder = Encoding.UTF8.GetDecoder();
        var bytes = new byte[64 * 1024];
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                if (File.Exists(path))
                {
                    await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                    if (stream.Length < position)
                    {
                        position = 0;
                        decoder.Reset();
                    }

                    stream.Seek(position, SeekOrigin.Begin);
                    int read;
                    while ((read = await stream.ReadAsync(bytes, stop)) > 0)
                    {
                        position += read;
                        var count = decoder.GetChars(bytes, 0, read, chars, 0);
                        await output.WriteAsync(chars.AsMemory(0, count), stop);
                    }

                    await output.FlushAsync(stop);
                }

                await Task.Delay(PollInterval, stop);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Ctrl-C: the normal end of a follow.
        }
    }

    /// <summary>The byte offset at which the last <paramref name="lines"/> lines of the file begin (0 when it has fewer).</summary>
    public static long StartOfLastLines(string path, int lines)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var starts = new Queue<long>();
        starts.Enqueue(0);
        long offset = 0;
        var buffer = new byte[64 * 1024];
        int read;
        var endedWithNewline = true;
        while ((read = stream.Read(buffer)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n') continue;
                starts.Enqueue(offset + i + 1);
                if (starts.Count > lines + 1) starts.Dequeue();
            }

            endedWithNewline = buffer[read - 1] == (byte)'\n';
            offset += read;
        }

        // A final newline opens no line of its own: the last start is then the end of the file.
        var kept = starts.ToList();
        if (endedWithNewline && kept.Count > 0 && kept[^1] == offset) kept.RemoveAt(kept.Count - 1);
        return kept.Count == 0 ? offset : kept[Math.Max(0, kept.Count - lines)];
    }
}
