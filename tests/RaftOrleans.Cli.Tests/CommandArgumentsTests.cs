using RaftOrleans.Cli;

namespace RaftOrleans.Cli.Tests;

/// <summary>The one option parser of every raftctl command: what it accepts and the one-line errors.</summary>
public sealed class CommandArgumentsTests
{
    private static readonly IReadOnlySet<string> Valued = new HashSet<string> { "--nodes", "--drop" };
    private static readonly IReadOnlySet<string> Flags = new HashSet<string> { "--fresh" };

    [Fact]
    public void Options_flags_and_positionals_in_any_order()
    {
        var arguments = new CommandArguments(["up", "--nodes", "5", "extra", "--fresh"], Valued, Flags);

        Assert.Equal(["up", "extra"], arguments.Positional);
        Assert.Equal(5, arguments.Int("--nodes", 3, 1, 9));
        Assert.True(arguments.Has("--fresh"));
        Assert.Equal(0.5, arguments.Double("--drop", 0.5, 0, 1)); // absent: the fallback
    }

    [Theory]
    [InlineData(new[] { "--nodse", "5" }, "unknown option --nodse")]
    [InlineData(new[] { "--nodes" }, "--nodes needs a value")]
    [InlineData(new[] { "--nodes", "five" }, "--nodes must be a whole number from 1 to 9, not 'five'")]
    [InlineData(new[] { "--nodes", "12" }, "--nodes must be a whole number from 1 to 9, not '12'")]
    [InlineData(new[] { "--drop", "1.5" }, "--drop must be a number from 0 to 1, not '1.5'")]
    public void Bad_options_are_refused_with_one_line_naming_the_option(string[] args, string expected)
    {
        var error = Assert.Throws<UsageException>(() =>
        {
            var arguments = new CommandArguments(args, Valued, Flags);
            arguments.Int("--nodes", 3, 1, 9);
            arguments.Double("--drop", 0, 0, 1);
        });

        Assert.Equal(expected, error.Message);
    }

    [Fact]
    public void An_option_and_its_value_may_be_joined_by_an_equals_sign()
    {
        var arguments = new CommandArguments(["up", "--nodes=5", "--drop=0.25"], Valued, Flags);

        Assert.Equal(["up"], arguments.Positional);
        Assert.Equal(5, arguments.Int("--nodes", 3, 1, 9));
        Assert.Equal(0.25, arguments.Double("--drop", 0, 0, 1));
    }

    [Fact]
    public void After_a_double_dash_everything_is_a_value_even_what_looks_like_an_option()
    {
        var arguments = new CommandArguments(["k", "--fresh", "--", "--nodes", "--v=1", "--"], Valued, Flags);

        Assert.Equal(["k", "--nodes", "--v=1", "--"], arguments.Positional);
        Assert.True(arguments.Has("--fresh"));
        Assert.Null(arguments.Value("--nodes"));
    }

    /// <summary>"500ms", "5s", "2m", or a bare number of seconds (check's --time-limit, status's --interval,
    /// the key-value commands' --command-timeout).</summary>
    [Theory]
    [InlineData("5s", 5_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("1.5", 1_500)]
    public void Durations_take_a_unit(string text, int expectedMs)
    {
        var arguments = new CommandArguments(["--command-timeout", text], new HashSet<string> { "--command-timeout" }, Flags);

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs),
            arguments.Duration("--command-timeout", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1)));
    }

    [Fact]
    public void A_bad_duration_names_the_option_and_the_range()
    {
        var arguments = new CommandArguments(["--command-timeout", "soon"], new HashSet<string> { "--command-timeout" }, Flags);

        var error = Assert.Throws<UsageException>(() =>
            arguments.Duration("--command-timeout", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1)));
        Assert.Equal("--command-timeout must be a duration from 1ms to 3600s (e.g. 500ms, 5s, 2m), not 'soon'", error.Message);
    }
}
