using LivePreview.WarmPool;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.WarmPool;

public sealed class WarmPoolOptionsTests
{
    [Fact]
    public void By_default_both_vite_frameworks_keep_two_and_next_keeps_one()
    {
        var o = Bind();
        Assert.Equal(2, o.TargetSize("react-vite"));
        Assert.Equal(2, o.TargetSize("vue-vite"));
        Assert.Equal(1, o.TargetSize("next"));
    }

    [Fact]
    public void Size_zero_turns_every_framework_off_even_one_with_its_own_size()
    {
        var o = Bind(("Size", "0"), ("Frameworks:next:Size", "3"));
        Assert.Empty(o.Pooled());
    }

    [Fact]
    public void A_framework_can_be_resized_or_left_out_while_the_others_keep_their_defaults()
    {
        var o = Bind(("Size", "3"), ("Frameworks:vue-vite:Size", "0"), ("Frameworks:NEXT:Size", "2"));
        Assert.Equal(3, o.TargetSize("react-vite"));
        Assert.Equal(0, o.TargetSize("vue-vite"));
        Assert.Equal(2, o.TargetSize("next"));
    }

    [Fact]
    public void Unknown_frameworks_and_out_of_range_values_fail_validation_with_their_names()
    {
        var services = Services(("Frameworks:svelte:Size", "1"), ("MaxParallelStarts", "0"));
        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<WarmPoolOptions>>().Value);
        Assert.Contains("Frameworks:svelte", error.Message);
        Assert.Contains("MaxParallelStarts", error.Message);
    }

    private static WarmPoolOptions Bind(params (string Key, string Value)[] settings) =>
        Services(settings).GetRequiredService<IOptions<WarmPoolOptions>>().Value;

    private static ServiceProvider Services(params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>($"{WarmPoolOptions.Section}:{s.Key}", s.Value)))
            .Build();
        return new ServiceCollection().AddSingleton<IConfiguration>(configuration).AddWarmPool().BuildServiceProvider();
    }
}
