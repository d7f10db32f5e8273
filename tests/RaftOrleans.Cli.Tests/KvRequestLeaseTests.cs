using RaftOrleans.Cli;
using RaftOrleans.Cli.Kv;

namespace RaftOrleans.Cli.Tests;

/// <summary>`get --lease` asks for a lease read; it goes with get only, and never with --stale.</summary>
public sealed class KvRequestLeaseTests
{
    [Fact]
    public void Get_with_lease_asks_for_a_lease_read_and_plain_get_does_not()
    {
        Assert.True(Parse("get", "k", "--lease").Lease);
        Assert.False(Parse("get", "k").Lease);
    }

    [Theory]
    [InlineData("get", "k", "--lease", "--stale")]
    [InlineData("put", "k", "v", "--lease")]
    [InlineData("list", "", "--lease")]
    public void Lease_elsewhere_is_a_usage_error(string verb, params string[] words) =>
        Assert.Throws<UsageException>(() => Parse(verb, words));

    private static KvRequest Parse(string verb, params string[] words) =>
        KvRequest.Parse(verb, new CommandArguments(words, KvCommandLine.ValueOptions, KvRequest.Flags));
}
