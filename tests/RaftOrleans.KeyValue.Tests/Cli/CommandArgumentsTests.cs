using RaftOrleans.Cli;

namespace RaftOrleans.KeyValue.Tests.Cli;

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
}
