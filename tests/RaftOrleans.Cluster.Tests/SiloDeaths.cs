using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace RaftOrleans.Cluster.Tests;

public static class SiloDeaths
{
    /// <summary>Kills <paramref name="victims"/> and waits until every other silo of <paramref name="running"/>
    /// sees them dead. Only then is a killed silo surely out of the conversation: an in-process kill returns
    /// while the silo is still being torn down, and until then its node can still receive entries. (It is
    /// also when Orleans' default grain directory would deactivate grains whose entry a dead silo held.)</summary>
    public static async Task<string[]> KillAndAwaitDeathAsync(this RaftTestCluster cluster, string[] victims, IEnumerable<string> running)
    {
        foreach (var victim in victims) await cluster.KillAsync(victim);
        var survivors = running.Except(victims).ToArray();
        await Poll.UntilAsync(() => Task.FromResult(survivors.Select(node => DeadIn(cluster, node, victims)).ToArray()),
            views => views.All(dead => dead), TimeSpan.FromSeconds(30), $"{string.Join(",", survivors)} to see {string.Join(",", victims)} dead",
            views => string.Join(", ", views));
        return survivors;
    }

    private static bool DeadIn(RaftTestCluster cluster, string observer, IEnumerable<string> victims)
    {
        var view = cluster.Silo(observer).ServiceProvider.GetRequiredService<IClusterMembershipService>().CurrentSnapshot;
        return victims.All(victim => view.Members.Values.Any(member => member.Name == victim && member.Status == SiloStatus.Dead));
    }
}
