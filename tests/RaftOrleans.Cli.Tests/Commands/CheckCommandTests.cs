using RaftOrleans.Cli.Commands;
using RaftOrleans.History;
using RaftOrleans.History.Tests;

namespace RaftOrleans.Cli.Tests.Commands;

public sealed class CheckCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("raftctl-check-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Linearizable_history_exits_zero()
    {
        var path = Write(new HistoryBuilder().Put(1, "k", "v", 0, 10).Get(2, "k", "v", 20, 30));

        var (exit, output, _) = Run(path);

        Assert.Equal(0, exit);
        Assert.StartsWith("linearizable: 2 operations", output);
    }

    [Fact]
    public void Violation_exits_one_and_prints_the_window()
    {
        var path = Write(new HistoryBuilder().Put(1, "k", "v1", 0, 10).Put(1, "k", "v2", 20, 30).Get(2, "k", "v1", 40, 50));

        var (exit, output, _) = Run(path);

        Assert.Equal(1, exit);
        Assert.StartsWith("not linearizable: key \"k\"", output);
        Assert.Contains("process 2: get \"k\" -> \"v1\" ok", output);
        Assert.Contains("process 1: put \"k\" := \"v2\" ok", output);
    }

    [Fact]
    public void A_recorded_refused_cas_and_an_absent_get_are_checked_as_observations()
    {
        // Written as `raftctl load` writes it, read as `raftctl check` reads it. The store refused a cas
        // whose expectation held (and said so); in the other file a get found the key absent although it
        // held "v1".
        var refusedPath = Record("refused.jsonl", recorder =>
        {
            recorder.RecordInvoke(2, HistoryOperation.Cas("k", "v1", "v2"));
            recorder.RecordCasRefused(2, "v1");
        });
        var absentPath = Record("absent.jsonl", recorder =>
        {
            recorder.RecordInvoke(2, HistoryOperation.Get("k"));
            recorder.RecordOk(2, null);
        });

        var refused = Run(refusedPath);
        var absent = Run(absentPath);

        Assert.Equal(1, refused.Exit);
        Assert.Contains("process 2: cas \"k\" \"v1\" -> \"v2\" refused, found \"v1\" ok", refused.Output);
        Assert.Equal(1, absent.Exit);
        Assert.Contains("process 2: get \"k\" -> (absent) ok", absent.Output);
    }

    /// <summary>A history file written by a recorder: a put of "v1" by process 1, then <paramref name="then"/>.</summary>
    private string Record(string name, Action<HistoryRecorder> then)
    {
        var path = Path.Combine(_directory, name);
        using var file = new StreamWriter(path);
        using var recorder = new HistoryRecorder(file);
        recorder.RecordInvoke(1, HistoryOperation.Put("k", "v1"));
        recorder.RecordOk(1);
        then(recorder);
        return path;
    }

    [Fact]
    public void Time_limit_exits_three_undecided()
    {
        var history = new HistoryBuilder();
        for (var process = 0; process < 22; process++)
        {
            history.Put(process, "k", $"v{process}", process, 1_000 + process);
        }
        history.Get(99, "k", "nobody-wrote-this", 50, 2_000);

        var (exit, output, _) = Run(Write(history), "--time-limit", "100ms");

        Assert.Equal(3, exit);
        Assert.StartsWith("unknown", output);
    }

    [Theory]
    [InlineData]
    [InlineData("a.jsonl", "b.jsonl")]
    [InlineData("a.jsonl", "--time-limit")]
    [InlineData("a.jsonl", "--time-limit", "soon")]
    [InlineData("a.jsonl", "--time-limit", "-5s")]
    [InlineData("a.jsonl", "--verbose")]
    public void Usage_errors_exit_two(params string[] args)
    {
        var (exit, _, error) = Run(args);

        Assert.Equal(2, exit);
        Assert.StartsWith("raftctl check: ", error);
    }

    [Fact]
    public void Missing_or_malformed_file_exits_two_with_one_clear_line()
    {
        var malformed = Path.Combine(_directory, "bad.jsonl");
        File.WriteAllText(malformed, """{"process":1,"type":"invoke","f":"get","key":"k","time":1}""" + "\n{oops\n");

        var missing = Run(Path.Combine(_directory, "missing.jsonl"));
        var bad = Run(malformed);

        Assert.Equal(2, missing.Exit);
        Assert.Contains("cannot read history", missing.Error);
        Assert.Equal(2, bad.Exit);
        Assert.Contains("line 2", bad.Error);
        Assert.Single(bad.Error.Trim().Split('\n'));
    }

    private string Write(HistoryBuilder history)
    {
        var path = Path.Combine(_directory, "history.jsonl");
        using var writer = new StreamWriter(path);
        HistoryJson.WriteAll(writer, history.Events);
        return path;
    }

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = CheckCommand.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }
}
