using System.Text.RegularExpressions;

namespace LivePreview.Repositories.Detection;

/// <summary>What the package manager of a repository is, and its lock file (always at the workspace root).</summary>
internal sealed record PackageManagerChoice(PackageManager Manager, string? LockFile, bool YarnBerry, string? Version, string Reason);

/// <summary>The root package.json's <c>packageManager</c> field first, else the lock file; npm without either.</summary>
internal static partial class PackageManagerDetection
{
    /// <summary>How far into a yarn.lock <c>__metadata</c> is looked for: Yarn 2+ writes it right after the header comment.</summary>
    private const int YarnLockHeadBytes = 4096;

    /// <summary>Lock files of each manager, in the order tried when the repository does not say (npm first).</summary>
    private static readonly (PackageManager Manager, string File)[] LockFiles =
    [
        (PackageManager.Npm, "npm-shrinkwrap.json"), (PackageManager.Npm, "package-lock.json"), (PackageManager.Pnpm, "pnpm-lock.yaml"),
        (PackageManager.Yarn, "yarn.lock"), (PackageManager.Bun, "bun.lock"), (PackageManager.Bun, "bun.lockb"),
    ];

    public static async Task<PackageManagerChoice> DetectAsync(IRepositoryTree tree, PackageJson? root, CancellationToken cancellationToken)
    {
        var present = new List<(PackageManager Manager, string File)>();
        foreach (var lockFile in LockFiles)
        {
            if (await tree.FileExistsAsync(lockFile.File, cancellationToken))
            {
                present.Add(lockFile);
            }
        }
        if (Declared(root?.PackageManager) is { } declared)
        {
            var lockFile = present.FirstOrDefault(l => l.Manager == declared.Manager).File;
            var berry = declared.Manager == PackageManager.Yarn && declared.Major >= 2;
            return new(declared.Manager, lockFile, berry, declared.Version,
                $"{Describe(declared.Manager, berry)}: the packageManager field says {root!.PackageManager}" + (lockFile is null ? ", no lock file of it at the root" : $", lock file {lockFile}"));
        }
        if (present.Count == 0)
        {
            return new(PackageManager.Npm, null, false, null, "npm: no lock file at the root, so dependencies are installed without one");
        }
        var (manager, file) = present[0];
        var yarnBerry = manager == PackageManager.Yarn && await IsBerryLockAsync(tree, file, cancellationToken);
        var others = present.Skip(1).Where(p => p.Manager != manager).Select(p => p.File).ToList();
        return new(manager, file, yarnBerry, null, $"{Describe(manager, yarnBerry)}: {file} at the root"
            + (yarnBerry ? " (with __metadata)" : "") + (others.Count > 0 ? $"; {string.Join(", ", others)} ignored" : ""));
    }

    /// <summary>The choice when the create request names the package manager.</summary>
    public static async Task<PackageManagerChoice> OverrideAsync(IRepositoryTree tree, PackageManager manager, PackageManagerChoice detected, CancellationToken cancellationToken)
    {
        if (manager == detected.Manager)
        {
            return detected;
        }
        string? lockFile = null;
        foreach (var candidate in LockFiles.Where(l => l.Manager == manager))
        {
            if (await tree.FileExistsAsync(candidate.File, cancellationToken))
            {
                lockFile = candidate.File;
                break;
            }
        }
        var berry = manager == PackageManager.Yarn && (lockFile is null
            ? await tree.FileExistsAsync(".yarnrc.yml", cancellationToken)
            : await IsBerryLockAsync(tree, lockFile, cancellationToken));
        return new(manager, lockFile, berry, null, $"{Describe(manager, berry)}: set by the request" + (lockFile is null ? ", no lock file of it at the root" : $", lock file {lockFile}"));
    }

    public static string Describe(PackageManager manager, bool yarnBerry) => manager switch
    {
        PackageManager.Yarn => yarnBerry ? "yarn berry" : "yarn classic",
        _ => manager.ToString().ToLowerInvariant(),
    };

    private static async Task<bool> IsBerryLockAsync(IRepositoryTree tree, string file, CancellationToken cancellationToken) =>
        await tree.ReadHeadAsync(file, YarnLockHeadBytes, cancellationToken) is { } head && BerryMetadata().IsMatch(head);

    private static (PackageManager Manager, int Major, string Version)? Declared(string? field)
    {
        if (field is null || DeclaredPattern().Match(field) is not { Success: true } match)
        {
            return null;
        }
        var manager = Enum.Parse<PackageManager>(match.Groups["name"].Value, ignoreCase: true);
        return int.TryParse(match.Groups["major"].ValueSpan, out var major) ? (manager, major, match.Groups["version"].Value) : null;
    }

    [GeneratedRegex(@"^(?<name>npm|pnpm|yarn|bun)@(?<version>(?<major>\d{1,4})(\.[0-9A-Za-z.-]{1,40})?)(\+.*)?$")]
    private static partial Regex DeclaredPattern();

    [GeneratedRegex(@"(?m)^__metadata:")]
    private static partial Regex BerryMetadata();
}
