using System.Text.Json;
using LivePreview.Frameworks;

namespace LivePreview.Repositories.Detection;

/// <summary>
/// A minimal detector: the app at the repository's root, npm or pnpm told by the lock file, Vite or Next told by the
/// dependencies, the tool's default port. Every guess can be overridden.
/// </summary>
public sealed class AppDetector : IAppDetector
{
    private const int MaxPackageJsonBytes = 1024 * 1024;

    public async Task<AppProfile> DetectAsync(IRepositoryTree tree, AppOverrides? overrides, CancellationToken cancellationToken)
    {
        var directory = overrides?.AppDirectory?.Trim('/') ?? "";
        var packageJsonPath = directory.Length == 0 ? "package.json" : $"{directory}/package.json";
        var text = await tree.ReadTextAsync(packageJsonPath, MaxPackageJsonBytes, cancellationToken)
            ?? throw new AppDetectionException($"The repository has no {packageJsonPath} (a regular file under 1 MiB), so there is no Node app to install and start. "
                + "Point \"app\": {\"directory\": \"…\"} at the app's folder.");
        using var json = Parse(text, packageJsonPath);
        var reasons = new List<string>();
        var (manager, lockFile) = await PackageManagerOfAsync(tree, overrides, reasons, cancellationToken);
        var (framework, tool, version, port) = FrameworkOf(json.RootElement, overrides, reasons);
        var script = overrides?.DevScript ?? (HasScript(json.RootElement, "dev") ? "dev" : null);
        if (framework == "none")
        {
            throw new AppDetectionException($"{packageJsonPath} depends on neither vite nor next, so LivePreview does not know how to start it. Give \"framework\" to say what it is.");
        }
        return new AppProfile(framework, tool, version, manager, lockFile, directory, script, overrides?.Port ?? port, true, reasons);
    }

    public IReadOnlyList<string> InstallCommand(AppProfile profile) => profile.PackageManager switch
    {
        PackageManager.Pnpm => [.. PackageManagerTools.Pnpm, "install", "--frozen-lockfile", "--ignore-scripts"],
        _ when profile.LockFile is null => [.. PackageManagerTools.Npm, "install", "--no-audit", "--no-fund", "--include=dev", "--ignore-scripts"],
        _ => [.. PackageManagerTools.Npm, "ci", "--no-audit", "--no-fund", "--include=dev", "--ignore-scripts"],
    };

    public Task<DevServerPlan> PlanDevServerAsync(AppProfile profile, IRepositoryTree installed, string? basePath, CancellationToken cancellationToken)
    {
        var framework = profile.DevTool == "next" ? FrameworkCatalog.Next : FrameworkCatalog.ReactVite;
        var command = framework.DevServerCommand(profile.Port, basePath);
        var environment = new Dictionary<string, string> { ["PORT"] = profile.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        return Task.FromResult(new DevServerPlan(command, profile.AppDirectory.Length == 0 ? null : profile.AppDirectory, environment, profile.Port));
    }

    private static async Task<(PackageManager, string?)> PackageManagerOfAsync(IRepositoryTree tree, AppOverrides? overrides, List<string> reasons, CancellationToken ct)
    {
        if (await tree.FileExistsAsync("pnpm-lock.yaml", ct))
        {
            reasons.Add("pnpm: pnpm-lock.yaml");
            return (overrides?.PackageManager ?? PackageManager.Pnpm, "pnpm-lock.yaml");
        }
        if (await tree.FileExistsAsync("package-lock.json", ct))
        {
            reasons.Add("npm: package-lock.json");
            return (overrides?.PackageManager ?? PackageManager.Npm, "package-lock.json");
        }
        reasons.Add("npm: no lock file");
        return (overrides?.PackageManager ?? PackageManager.Npm, null);
    }

    private static (string Framework, string? Tool, string? Version, int Port) FrameworkOf(JsonElement package, AppOverrides? overrides, List<string> reasons)
    {
        if (Dependency(package, "next") is { } next)
        {
            reasons.Add($"next: next {next} in package.json");
            return (overrides?.Framework ?? "next", "next", next, 3000);
        }
        if (Dependency(package, "vite") is { } vite)
        {
            var flavour = Dependency(package, "react") is not null ? "react-vite" : Dependency(package, "vue") is not null ? "vue-vite" : "vite";
            reasons.Add($"{flavour}: vite {vite} in package.json");
            return (overrides?.Framework ?? flavour, "vite", vite, 5173);
        }
        return (overrides?.Framework ?? "none", null, null, 5173);
    }

    private static string? Dependency(JsonElement package, string name)
    {
        foreach (var section in new[] { "dependencies", "devDependencies" })
        {
            if (package.ValueKind == JsonValueKind.Object && package.TryGetProperty(section, out var deps) && deps.ValueKind == JsonValueKind.Object
                && deps.TryGetProperty(name, out var version) && version.ValueKind == JsonValueKind.String)
            {
                return version.GetString() is { Length: <= 64 } text ? text : "*";
            }
        }
        return null;
    }

    private static bool HasScript(JsonElement package, string name) =>
        package.ValueKind == JsonValueKind.Object && package.TryGetProperty("scripts", out var scripts) && scripts.ValueKind == JsonValueKind.Object
        && scripts.TryGetProperty(name, out _);

    private static JsonDocument Parse(string text, string path)
    {
        try
        {
            return JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw new AppDetectionException($"{path} is not valid JSON ({e.Message}); fix it in the repository.");
        }
    }
}
