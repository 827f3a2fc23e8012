using LivePreview.Snapshots;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Snapshots;

public sealed class SnapshotOptionsTests
{
    [Fact]
    public void Options_are_bound_from_the_snapshots_section()
    {
        using var services = Services(new() { ["LivePreview:Snapshots:BuildTimeout"] = "00:03:00", ["LivePreview:Snapshots:WarmDepCache"] = "false" });

        var options = services.GetRequiredService<IOptions<SnapshotOptions>>().Value;

        Assert.Equal(TimeSpan.FromMinutes(3), options.BuildTimeout);
        Assert.False(options.WarmDepCache);
        Assert.Equal("npm", options.NpmCommand);
        Assert.Null(options.Root);
    }

    [Fact]
    public void A_negative_number_of_kept_snapshots_is_rejected()
    {
        using var services = Services(new() { ["LivePreview:Snapshots:KeepOldSnapshots"] = "-1" });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<SnapshotOptions>>().Value);

        Assert.Contains("KeepOldSnapshots", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings) => new ServiceCollection()
        .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
        .AddSnapshots()
        .BuildServiceProvider();
}
