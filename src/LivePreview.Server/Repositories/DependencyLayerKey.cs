using System.Security.Cryptography;
using System.Text;

namespace LivePreview.Repositories;

/// <summary>
/// What decides a dependency layer's content, hashed: the package manager, the install command, the lock file's bytes
/// and every package.json of the workspace (path and bytes). Two repositories that agree on all of them install the
/// same tree, so they share one layer.
/// </summary>
internal static class DependencyLayerKey
{
    private const long MaxLockFileBytes = 64L * 1024 * 1024;
    private const long MaxPackageJsonBytes = 1024 * 1024;

    /// <summary>The key (64 hex digits) and the package folders that went into it (where node_modules may appear).</summary>
    public static (string Key, IReadOnlyList<string> PackageFolders) Compute(string sourceDirectory, AppProfile profile, IReadOnlyList<string> installCommand)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Add(hash, "livepreview-dependency-layer-v1");
        Add(hash, profile.PackageManager.ToString());
        Add(hash, string.Join('\0', installCommand));
        if (profile.LockFile is { } lockFile)
        {
            var bytes = SourceFiles.ReadBytes(sourceDirectory, lockFile, MaxLockFileBytes)
                ?? throw new DependencyInstallException($"The lock file {lockFile} is not a regular file under {MaxLockFileBytes / 1024 / 1024} MiB.");
            Add(hash, lockFile);
            Add(hash, bytes);
        }
        var folders = SourceFiles.PackageFolders(sourceDirectory);
        foreach (var folder in folders)
        {
            var path = folder.Length == 0 ? "package.json" : $"{folder}/package.json";
            var bytes = SourceFiles.ReadBytes(sourceDirectory, path, MaxPackageJsonBytes)
                ?? throw new DependencyInstallException($"{path} is larger than 1 MiB.");
            Add(hash, path);
            Add(hash, bytes);
        }
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), folders);
    }

    /// <summary>Length-prefixed, so no two different inputs run together into the same bytes.</summary>
    private static void Add(IncrementalHash hash, byte[] bytes)
    {
        hash.AppendData(BitConverter.GetBytes((long)bytes.Length));
        hash.AppendData(bytes);
    }

    private static void Add(IncrementalHash hash, string text) => Add(hash, Encoding.UTF8.GetBytes(text));
}
