using LivePreview.Frameworks;
using LivePreview.Snapshots;
using Microsoft.Extensions.DependencyInjection;

namespace LivePreview.Tests.Snapshots;

public sealed class SnapshotCommandTests : IDisposable
{
    private readonly TinyTemplates _templates = new();
    private readonly ServiceProvider _services;
    private readonly StringWriter _output = new();

    public SnapshotCommandTests()
    {
        var store = _templates.CreateStore();
        _services = new ServiceCollection()
            .AddSingleton<ISnapshotStore>(store)
            .AddSingleton(_templates.Layout)
            .BuildServiceProvider();
    }

    [Fact]
    public async Task An_unknown_framework_exits_with_2_and_names_the_known_ones()
    {
        var exitCode = await RunAsync("snapshots", "build", "angular");

        Assert.Equal(2, exitCode);
        Assert.Contains("'angular'", _output.ToString(), StringComparison.Ordinal);
        Assert.Contains(FrameworkCatalog.Names, _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_command_prints_usage_and_exits_with_2()
    {
        Assert.Equal(2, await RunAsync("frobnicate"));
        Assert.Contains("Usage:", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Build_prints_progress_and_the_manifest_then_list_shows_it_current()
    {
        Assert.Equal(0, await RunAsync("build", "react-vite"));
        var built = _output.ToString();
        Assert.Contains("[react-vite] Installing packages (npm ci)", built, StringComparison.Ordinal);
        Assert.Contains("Built react-vite-", built, StringComparison.Ordinal);

        _templates.Write("vue-vite", "1.0.0");
        _output.GetStringBuilder().Clear();
        Assert.Equal(0, await RunAsync("list"));

        var line = Assert.Single(_output.ToString().Split('\n'), l => l.StartsWith("react-vite-", StringComparison.Ordinal));
        Assert.Contains("current", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_snapshot_superseded_by_a_new_lock_file_is_listed_as_stale()
    {
        await RunAsync("build", "react-vite");
        _templates.Write("react-vite", "2.0.0");
        _output.GetStringBuilder().Clear();

        await RunAsync("list");

        Assert.Contains("stale", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_snapshot_rebuilt_from_the_same_lock_file_is_listed_as_replaced()
    {
        await RunAsync("build", "react-vite");
        await RunAsync("build", "react-vite");
        _output.GetStringBuilder().Clear();

        await RunAsync("list");

        var states = _output.ToString().Split('\n').Where(l => l.StartsWith("react-vite-", StringComparison.Ordinal)).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[4]);
        Assert.Equal(["current", "replaced"], states);
    }

    [Fact]
    public async Task A_failed_build_exits_with_1()
    {
        _templates.BreakLockFile("vue-vite");

        Assert.Equal(1, await RunAsync("build", "vue-vite"));
        Assert.Contains("[vue-vite] FAILED: npm ci failed", _output.ToString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _services.Dispose();
        _templates.Dispose();
    }

    private Task<int> RunAsync(params string[] args) => SnapshotCommand.RunAsync(_services, args, _output, CancellationToken.None);
}
