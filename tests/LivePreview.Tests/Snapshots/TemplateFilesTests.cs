using System.Text.Json;
using LivePreview.Frameworks;
using LivePreview.Snapshots;

namespace LivePreview.Tests.Snapshots;

/// <summary>The committed templates are what snapshots are built from; these are cheap checks that they stay buildable.</summary>
public sealed class TemplateFilesTests
{
    private static readonly string Templates = TemplateLocator.Find(null);

    public static TheoryData<string> Frameworks => new(FrameworkCatalog.All.Select(f => f.Name));

    [Theory]
    [MemberData(nameof(Frameworks))]
    public void Every_template_has_a_dev_script_and_a_lock_file_without_node_modules(string framework)
    {
        var dir = Path.Combine(Templates, framework);
        using var package = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "package.json")));
        using var lockFile = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "package-lock.json")));

        Assert.True(package.RootElement.GetProperty("scripts").TryGetProperty("dev", out _));
        Assert.Equal(3, lockFile.RootElement.GetProperty("lockfileVersion").GetInt32());
        Assert.False(Directory.Exists(Path.Combine(dir, "node_modules")));
    }

    [Theory]
    [MemberData(nameof(Frameworks))]
    public void The_dev_server_the_service_starts_is_locked_in_the_template(string framework)
    {
        FrameworkCatalog.TryGet(framework, out var definition);
        var entry = definition.DevServerCommand(definition.DefaultPort, null)[1];
        var package = entry.Split('/')[1];

        Assert.NotNull(LockedVersion(framework, package));
    }

    [Theory]
    [InlineData("react-vite")]
    [InlineData("vue-vite")]
    public void Vite_templates_use_vite_8_and_leave_host_port_and_hmr_to_the_service(string framework)
    {
        var config = File.ReadAllText(Path.Combine(Templates, framework, "vite.config.mjs"));

        Assert.StartsWith("8.", LockedVersion(framework, "vite"), StringComparison.Ordinal);
        Assert.DoesNotContain("server", config, StringComparison.Ordinal);
        Assert.DoesNotContain("allowedHosts", config, StringComparison.Ordinal);
        Assert.DoesNotContain("hmr", config, StringComparison.Ordinal);
    }

    private static string? LockedVersion(string framework, string package)
    {
        using var lockFile = JsonDocument.Parse(File.ReadAllText(Path.Combine(Templates, framework, "package-lock.json")));
        return lockFile.RootElement.GetProperty("packages").TryGetProperty($"node_modules/{package}", out var entry)
            ? entry.GetProperty("version").GetString()
            : null;
    }
}
