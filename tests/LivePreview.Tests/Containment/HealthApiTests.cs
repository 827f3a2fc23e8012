using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using LivePreview.Hosting;
using LivePreview.Sandboxes.Local;
using LivePreview.Tests.Support;
using Microsoft.Extensions.Logging;

namespace LivePreview.Tests.Containment;

/// <summary>GET /api/v1/health and the start-up log say, for each limit, whether this host enforces it and why not.</summary>
[Collection(ServiceCollection.Name)]
public sealed class HealthApiTests
{
    [Fact]
    public async Task The_health_endpoint_lists_every_sandbox_limit_and_what_enforces_it_on_this_host()
    {
        await using var host = await LivePreviewHost.StartAsync();

        using var response = await host.Http.GetAsync("api/v1/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var health = await response.Content.ReadFromJsonAsync<JsonElement>();
        var limits = health.GetProperty("limits");
        foreach (var name in new[] { "memory", "swap", "pids", "cpu", "disk", "sandbox-user", "userns", "seccomp", "firewall" })
        {
            Assert.True(limits.TryGetProperty(name, out var limit), $"no '{name}' in {health}");
            Assert.False(string.IsNullOrWhiteSpace(limit.GetProperty("how").GetString()));
        }
        // This machine has bubblewrap ≥ 0.8, setpriv, libseccomp and nft (scripts/setup.sh installs them).
        foreach (var name in new[] { "sandbox-user", "userns", "seccomp", "firewall" })
        {
            Assert.True(limits.GetProperty(name).GetProperty("enforced").GetBoolean(), limits.GetProperty(name).ToString());
        }
        Assert.False(limits.TryGetProperty("sandboxes", out _), health.ToString());
        var version = CgroupHierarchies.Host.V1.ContainsKey("memory") ? "cgroup v1" : "cgroup v2";
        Assert.True(limits.GetProperty("memory").GetProperty("enforced").GetBoolean(), limits.GetProperty("memory").ToString());
        Assert.StartsWith(version, limits.GetProperty("memory").GetProperty("how").GetString());
        Assert.StartsWith("a loop-mounted ext4 image", limits.GetProperty("disk").GetProperty("how").GetString());
        var degraded = limits.EnumerateObject().Any(l => !l.Value.GetProperty("enforced").GetBoolean() && !l.Value.GetProperty("switched_off").GetBoolean());
        Assert.Equal(degraded ? "degraded" : "ok", health.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Health_says_whether_preview_pages_are_kept_off_the_dashboards_origin()
    {
        await using (var hostMode = await LivePreviewHost.StartAsync())
        {
            var origin = (await hostMode.Http.GetFromJsonAsync<JsonElement>("api/v1/health")).GetProperty("limits").GetProperty("preview-origin");
            Assert.True(origin.GetProperty("enforced").GetBoolean(), origin.ToString());
            Assert.Contains("one origin per preview", origin.GetProperty("how").GetString());
        }
        await using var pathMode = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Previews:Mode"] = "Path" });

        var limit = (await pathMode.Http.GetFromJsonAsync<JsonElement>("api/v1/health")).GetProperty("limits").GetProperty("preview-origin");

        Assert.False(limit.GetProperty("enforced").GetBoolean());
        Assert.True(limit.GetProperty("switched_off").GetBoolean());
        Assert.Contains("share the dashboard's origin", limit.GetProperty("how").GetString());
    }

    [Fact]
    public async Task A_limit_the_host_cannot_enforce_makes_the_service_degraded_and_one_switched_off_is_said_so()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Sandboxes:Local:MkfsPath"] = "/nonexistent/mkfs.ext4",
            ["LivePreview:Sandboxes:Local:CpuLimit"] = "0",
            ["LivePreview:Sandboxes:Local:Seccomp"] = "false",
            ["LivePreview:Sandboxes:Local:NftPath"] = "/nonexistent/nft",
        });

        var health = await host.Http.GetFromJsonAsync<JsonElement>("api/v1/health");

        Assert.Equal("degraded", health.GetProperty("status").GetString());
        var disk = health.GetProperty("limits").GetProperty("disk");
        Assert.False(disk.GetProperty("enforced").GetBoolean());
        Assert.Contains("'/nonexistent/mkfs.ext4' is not installed", disk.GetProperty("how").GetString());
        var cpu = health.GetProperty("limits").GetProperty("cpu");
        Assert.False(cpu.GetProperty("enforced").GetBoolean());
        Assert.True(cpu.GetProperty("switched_off").GetBoolean());
        Assert.Contains("CpuLimit = 0", cpu.GetProperty("how").GetString());
        var seccomp = health.GetProperty("limits").GetProperty("seccomp");
        Assert.True(seccomp.GetProperty("switched_off").GetBoolean(), seccomp.ToString());
        var firewall = health.GetProperty("limits").GetProperty("firewall");
        Assert.False(firewall.GetProperty("enforced").GetBoolean());
        Assert.False(firewall.GetProperty("switched_off").GetBoolean());
        Assert.Contains("/nonexistent/nft", firewall.GetProperty("how").GetString());
    }

    [Fact]
    public async Task Creating_a_sandbox_below_the_free_disk_reserve_is_a_507_that_says_what_to_free()
    {
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?> { ["LivePreview:Sandboxes:Local:MinFreeDiskMb"] = int.MaxValue.ToString() });

        using var response = await host.Http.PostAsJsonAsync("api/v1/sandboxes", new { framework = "react-vite" });

        Assert.Equal(HttpStatusCode.InsufficientStorage, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("MinFreeDiskMb", problem.GetProperty("detail").GetString());
        Assert.Equal(0, (await host.Http.GetFromJsonAsync<JsonElement>("api/v1/sandboxes")).GetArrayLength());
    }

    [Fact]
    public async Task At_start_up_each_boundary_is_logged_as_enforced_switched_off_or_not_enforced_with_the_reason()
    {
        var status = new ContainmentStatus();
        var logger = new ListLogger();
        var startup = new ContainmentStartup([new FixedProbe(
            ContainmentEntry.On("memory", "cgroup v1 memory.limit_in_bytes"),
            ContainmentEntry.Off("cpu", "LivePreview:Sandboxes:Local:CpuLimit = 0"),
            ContainmentEntry.Unavailable("seccomp", "libseccomp.so.2 is missing"))], status, logger);

        await startup.StartAsync(CancellationToken.None);

        Assert.Contains((LogLevel.Information, "Containment: memory is enforced by cgroup v1 memory.limit_in_bytes"), logger.Lines);
        Assert.Contains((LogLevel.Information, "Containment: cpu is switched off (LivePreview:Sandboxes:Local:CpuLimit = 0)"), logger.Lines);
        Assert.Contains((LogLevel.Warning, "Containment: seccomp is NOT enforced on this host: libseccomp.so.2 is missing"), logger.Lines);
        Assert.True(status.IsDegraded);
        status.Report(ContainmentEntry.On("seccomp", "a libseccomp filter"));
        Assert.False(status.IsDegraded);
    }

    private sealed class FixedProbe(params ContainmentEntry[] entries) : IContainmentProbe
    {
        public IEnumerable<ContainmentEntry> Probe() => entries;
    }

    private sealed class ListLogger : ILogger<ContainmentStatus>
    {
        public List<(LogLevel Level, string Message)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
