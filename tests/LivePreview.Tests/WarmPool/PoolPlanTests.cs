using LivePreview.WarmPool;

namespace LivePreview.Tests.WarmPool;

/// <summary>Which frameworks the filler starts a sandbox for, within the parallel-start bound.</summary>
public sealed class PoolPlanTests
{
    private static readonly Dictionary<string, int> Targets = new() { ["react-vite"] = 2, ["vue-vite"] = 2, ["next"] = 1 };

    [Fact]
    public void An_empty_pool_starts_the_frameworks_furthest_below_their_size_first_up_to_the_bound()
    {
        var plan = PoolFiller.Plan(Targets, new Dictionary<string, int>(), starting: 0, maxParallel: 2);
        Assert.Equal(["react-vite", "vue-vite"], plan);
    }

    [Fact]
    public void Sandboxes_already_starting_count_against_the_bound_and_as_members()
    {
        var counts = new Dictionary<string, int> { ["react-vite"] = 2, ["vue-vite"] = 1 };
        Assert.Equal(["next"], PoolFiller.Plan(Targets, counts, starting: 1, maxParallel: 2));
        Assert.Empty(PoolFiller.Plan(Targets, counts, starting: 2, maxParallel: 2));
    }

    [Fact]
    public void A_full_pool_starts_nothing()
    {
        var counts = new Dictionary<string, int> { ["react-vite"] = 2, ["vue-vite"] = 2, ["next"] = 1 };
        Assert.Empty(PoolFiller.Plan(Targets, counts, starting: 0, maxParallel: 8));
    }

    [Fact]
    public void With_room_for_many_starts_it_fills_every_gap_and_no_more()
    {
        var plan = PoolFiller.Plan(Targets, new Dictionary<string, int>(), starting: 0, maxParallel: 10);
        Assert.Equal(5, plan.Count);
        Assert.Equal(2, plan.Count(f => f == "react-vite"));
        Assert.Equal(1, plan.Count(f => f == "next"));
    }
}
