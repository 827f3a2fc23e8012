using System.Net;
using LivePreview.Hosting;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Sandboxes.Local;

public sealed class LocalSandboxOptionsTests
{
    [Fact]
    public async Task AddLocalSandboxes_registers_the_local_provider()
    {
        await using var services = Services([]);

        Assert.IsType<LocalSandboxProvider>(services.GetRequiredService<ISandboxProvider>());
        Assert.EndsWith("/sandboxes", services.GetRequiredService<IOptions<LocalSandboxOptions>>().Value.ResolveRoot(new LivePreviewOptions()));
    }

    [Theory]
    [InlineData("SubnetPrefix", "10.300")]
    [InlineData("SubnetPrefix", "10.213.0")]
    [InlineData("Root", "/data/a,b")]
    [InlineData("SandboxUid", "0")]
    [InlineData("HostUid", "0")]
    [InlineData("HostGid", "0")]
    [InlineData("MemoryLimitMb", "-1")]
    [InlineData("CpuLimit", "-0.5")]
    [InlineData("CpuLimit", "NaN")]
    [InlineData("DiskLimitMb", "8")]
    [InlineData("MinFreeDiskMb", "-1")]
    public async Task Invalid_settings_are_refused_at_start(string key, string value)
    {
        await using var services = Services(new() { [$"{LocalSandboxOptions.Section}:{key}"] = value });

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<LocalSandboxOptions>>().Value);
        Assert.Contains(key, error.Message);
    }

    [Theory]
    [InlineData(0, "10.213.0.1", "10.213.0.2")]
    [InlineData(1, "10.213.0.5", "10.213.0.6")]
    [InlineData(64, "10.213.1.1", "10.213.1.2")]
    [InlineData(SandboxSubnet.Capacity - 1, "10.213.255.253", "10.213.255.254")]
    public void Each_sandbox_index_gets_its_own_slash_30(int index, string host, string sandbox)
    {
        var subnet = SandboxSubnet.For("10.213", index);

        Assert.Equal(IPAddress.Parse(host), subnet.Host);
        Assert.Equal(IPAddress.Parse(sandbox), subnet.Sandbox);
    }

    [Theory]
    [InlineData("/snapshots/a,upperdir=/etc")]
    [InlineData("/snapshots/a:b")]
    [InlineData("/snapshots/a\\b")]
    public void Overlay_options_refuse_paths_they_cannot_carry(string lower)
    {
        Assert.Throws<ArgumentException>(() => OverlayOptions.For(lower, "/upper", "/work"));
    }

    private static ServiceProvider Services(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())
            .AddLogging();
        services.AddOptions<LivePreviewOptions>();
        services.AddLocalSandboxes();
        return services.BuildServiceProvider();
    }
}
