using LivePreview.Hosting;
using LivePreview.Sandboxes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Repositories;

/// <summary>The package managers' tools layer (section <c>LivePreview:PackageManagers</c>).</summary>
public sealed class PackageManagerToolsOptions
{
    public const string Section = "LivePreview:PackageManagers";

    /// <summary>
    /// Folder holding one layer per pinned lock file (<c>&lt;root&gt;/&lt;hash&gt;/node_modules</c>); null means
    /// <c>$LIVEPREVIEW_PM_TOOLS_ROOT</c>, else <see cref="DefaultRoot"/>: where <c>scripts/setup.sh</c> installs. It must be
    /// readable by the sandbox user (bound into sandboxes), so not under a private data directory.
    /// </summary>
    public string? Root { get; set; }

    public const string DefaultRoot = "/opt/livepreview/tools/package-managers";

    /// <summary>The variable <c>scripts/setup.sh</c> reads for its root; the service reads the same one.</summary>
    public const string RootVariable = "LIVEPREVIEW_PM_TOOLS_ROOT";

    /// <summary>Install the layer in the background at start when it is missing (about 150 MB from the npm registry).</summary>
    public bool InstallOnStart { get; set; }

    public string NpmCommand { get; set; } = "npm";

    /// <summary>Longest the layer's <c>npm ci</c> may take.</summary>
    public TimeSpan InstallTimeout { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// pnpm, Yarn 1, Yarn 4 and Bun (<see cref="PackageManagerTools"/>): the tools layer (<see cref="ToolsLayer"/>) of the pinned
/// <c>tools/package-managers</c> lock, bound read-only into every sandbox at <see cref="PackageManagerTools.MountPoint"/>.
/// Bun is pinned as its native linux-x64 package alone (the <c>bun</c> wrapper only picks a platform's build in an install
/// script, and its lock names every platform's).
/// </summary>
public sealed class PackageManagerToolsLayer(IOptions<PackageManagerToolsOptions> options, IOptions<LivePreviewOptions> host, ILogger<PackageManagerToolsLayer> logger)
    : ToolsLayer(Definition, Definition.ResolveRoot(options.Value.Root, PackageManagerToolsOptions.DefaultRoot, host.Value.DataDirectory),
        options.Value.NpmCommand, options.Value.InstallTimeout, options.Value.InstallOnStart, logger)
{
    /// <summary>The package managers' layer: <c>tools/package-managers</c>, bound at <see cref="PackageManagerTools.MountPoint"/>.</summary>
    public static ToolsLayerSpec Definition { get; } = new("package-managers", "package-manager tools", PackageManagerTools.MountPoint,
        [.. new[] { PackageManagerTools.Pnpm, PackageManagerTools.YarnClassic, PackageManagerTools.YarnBerry, PackageManagerTools.Bun }
            .Select(command => Path.GetRelativePath(PackageManagerTools.MountPoint, command[^1]))],
        PackageManagerToolsOptions.RootVariable, "LivePreview__PackageManagers__Root", "LivePreview__PackageManagers__InstallOnStart");

    /// <summary>First 16 hex digits of the lock file's SHA-256; <c>scripts/setup.sh</c> computes the same.</summary>
    public static string Hash => HashOf(Definition.Name);
}

/// <summary>The package managers' layer bound read-only into every sandbox (<see cref="ToolsLayerMount"/>).</summary>
public sealed class PackageManagerToolsMount(PackageManagerToolsLayer layer) : ToolsLayerMount(layer);

public static class PackageManagerToolsExtensions
{
    public static IServiceCollection AddPackageManagerTools(this IServiceCollection services)
    {
        services.AddOptions<PackageManagerToolsOptions>().BindConfiguration(PackageManagerToolsOptions.Section)
            .Validate(o => o.InstallTimeout > TimeSpan.Zero && !string.IsNullOrWhiteSpace(o.NpmCommand),
                "LivePreview:PackageManagers: InstallTimeout must be positive and NpmCommand set.")
            .ValidateOnStart();
        services.TryAddSingleton<PackageManagerToolsLayer>();
        services.TryAddSingleton<PackageManagerToolsMount>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ISandboxReadOnlyLayer, PackageManagerToolsMount>(sp => sp.GetRequiredService<PackageManagerToolsMount>()));
        services.AddHostedService<ToolsLayerInstaller<PackageManagerToolsLayer>>();
        return services;
    }
}
