using RaftOrleans.Cli;

namespace RaftOrleans.Cli.Tests;

/// <summary>`raftctl COMMAND --help` (and `raftctl help COMMAND`) print that command's usage and exit 0, for
/// every command raftctl dispatches; an unknown command is a usage error.</summary>
public sealed class HelpTests
{
    /// <summary>Every command of raftctl's dispatch, with a word its usage must hold.</summary>
    public static TheoryData<string, string> Commands => new()
    {
        { "demo", "raftctl demo" }, { "sim", "raftctl sim" }, { "bench", "raftctl bench cluster" }, { "cluster", "raftctl cluster" },
        { "status", "raftctl status" }, { "dashboard", "raftctl dashboard" }, { "member", "raftctl member" },
        { "move-leader", "raftctl move-leader" }, { "partition", "raftctl partition" }, { "isolate", "isolate" },
        { "drop", "drop" }, { "delay", "delay" }, { "heal", "heal" }, { "faults", "faults" }, { "check", "raftctl check" },
        { "put", "raftctl put" }, { "get", "raftctl get" }, { "del", "raftctl del" }, { "cas", "raftctl cas" },
        { "list", "raftctl list" }, { "leader", "raftctl leader" }, { "repl", "raftctl repl" }, { "load", "raftctl load" },
    };

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_prints_its_usage_for_help_and_exits_0(string command, string usage)
    {
        foreach (var args in new[] { new[] { command, "--help" }, [command, "-h"], ["help", command], [command, "some-arg", "--help"] })
        {
            var output = new StringWriter();
            var error = new StringWriter();

            var exitCode = await Raftctl.RunAsync(args, output, error);

            Assert.True(exitCode == 0, $"raftctl {string.Join(' ', args)}: exit {exitCode}: {error}");
            Assert.Contains(usage, output.ToString());
            Assert.Equal("", error.ToString());
        }
    }

    [Fact]
    public async Task Help_after_a_double_dash_is_a_value_not_a_request_for_help()
    {
        var output = new StringWriter();
        var error = new StringWriter();

        // `put k -- --help` writes the value "--help"; with a bad config the command fails before connecting.
        var exitCode = await Raftctl.RunAsync(["put", "k", "--", "--help", "--client-config", "/nonexistent/client.json"], output, error);

        Assert.DoesNotContain("raftctl put KEY VALUE", output.ToString());
        Assert.NotEqual(0, exitCode);
    }

    [Fact]
    public async Task An_unknown_command_is_a_usage_error_that_points_to_help()
    {
        var error = new StringWriter();

        var exitCode = await Raftctl.RunAsync(["frobnicate", "--help"], new StringWriter(), error);

        Assert.Equal(2, exitCode);
        Assert.Contains("unknown command 'frobnicate'", error.ToString());
    }
}
