using System.Diagnostics;
using RaftOrleans.Cli.Cluster;

namespace RaftOrleans.Cli.Tests;

/// <summary>`cluster logs nX -f`: the last lines, then what is appended, also after the log begins anew.</summary>
public sealed class LogFollowerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("raftorleans-logs-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("a\nb\nc\n", 2, "b\nc\n")]
    [InlineData("a\nb\nc", 2, "b\nc")]
    [InlineData("a\nb\n", 5, "a\nb\n")]
    [InlineData("", 3, "")]
    public void The_last_lines_start_where_expected(string content, int lines, string expectedTail)
    {
        var path = Path.Combine(_folder, "n1.log");
        File.WriteAllText(path, content);
        var start = LogFollower.StartOfLastLines(path, lines);
        Assert.Equal(expectedTail, content[(int)start..]);
    }

    [Fact]
    public async Task Follows_what_is_appended_and_starts_over_when_the_log_is_begun_anew()
    {
        var path = Path.Combine(_folder, "n1.log");
        File.WriteAllText(path, "old 1\nold 2\n");
        var output = new SynchronizedWriter();
        using var stop = new CancellationTokenSource();
        var following = LogFollower.FollowAsync(path, LogFollower.StartOfLastLines(path, 1), output, stop.Token);

        await WaitForAsync(output, "old 2\n");
        File.AppendAllText(path, "new 3\n");
        await WaitForAsync(output, "old 2\nnew 3\n");
        File.Delete(path);
        File.WriteAllText(path, "fresh\n");
        await WaitForAsync(output, "old 2\nnew 3\nfresh\n");

        stop.Cancel();
        await following.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain("old 1", output.Text);
    }

    private static async Task WaitForAsync(SynchronizedWriter output, string expected)
    {
        var clock = Stopwatch.StartNew();
        while (output.Text != expected && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(20);
        }

        Assert.Equal(expected, output.Text);
    }

    private sealed class SynchronizedWriter : StringWriter
    {
        public string Text
        {
            get
            {
                lock (this) return ToString();
            }
        }

        public override Task WriteAsync(ReadOnlyMemory<char> buffer, CancellationToken cancellationToken = default)
        {
            lock (this) GetStringBuilder().Append(buffer.Span);
            return Task.CompletedTask;
        }
    }
}
