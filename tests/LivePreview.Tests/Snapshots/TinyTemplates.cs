using LivePreview.Frameworks;
using LivePreview.Hosting;
using LivePreview.Sandboxes;
using LivePreview.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Snapshots;

/// <summary>
/// A temporary folder with templates whose package.json has no dependencies (so the real <c>npm ci</c>
/// takes well under a second), a snapshot root, and the fakes a store needs.
/// </summary>
internal sealed class TinyTemplates : IDisposable
{
    public TinyTemplates()
    {
        Root = Directory.CreateTempSubdirectory("livepreview-snapshot-test-").FullName;
        foreach (var framework in FrameworkCatalog.All)
        {
            Write(framework.Name, "1.0.0");
        }
    }

    public string Root { get; }

    public string TemplatesDirectory => Path.Combine(Root, "templates");

    public string SnapshotRoot => Path.Combine(Root, "snapshots");

    public RecordingEventBus Events { get; } = new();

    public FakeSnapshotUsage Usage { get; } = new();

    public SnapshotOptions Options { get; } = new() { WarmDepCache = false, KeepOldSnapshots = 1 };

    public SnapshotLayout Layout => new(Microsoft.Extensions.Options.Options.Create(SnapshotOptionsWithRoot()),
        Microsoft.Extensions.Options.Options.Create(new LivePreviewOptions { DataDirectory = Root, TemplatesDirectory = TemplatesDirectory }));

    /// <summary>A new version changes the lock file, hence the snapshot id.</summary>
    public void Write(string framework, string version)
    {
        var dir = Path.Combine(TemplatesDirectory, framework);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "package.json"), $$"""{ "name": "tiny-{{framework}}", "version": "{{version}}", "private": true }""");
        File.WriteAllText(Path.Combine(dir, "package-lock.json"), $$"""
            {
              "name": "tiny-{{framework}}",
              "version": "{{version}}",
              "lockfileVersion": 3,
              "requires": true,
              "packages": { "": { "name": "tiny-{{framework}}", "version": "{{version}}" } }
            }
            """);
        File.WriteAllText(Path.Combine(dir, "index.html"), "<!doctype html><h1>tiny</h1>");
    }

    /// <summary>package.json asks for a package the lock file lacks: npm ci refuses, offline and fast.</summary>
    public void BreakLockFile(string framework) =>
        File.WriteAllText(Path.Combine(TemplatesDirectory, framework, "package.json"),
            $$"""{ "name": "tiny-{{framework}}", "version": "1.0.0", "private": true, "dependencies": { "left-pad": "1.3.0" } }""");

    public SnapshotStore CreateStore(ISandboxProvider? provider = null) => new(
        Layout, provider ?? new UnusedSandboxProvider(), Usage, Events,
        Microsoft.Extensions.Options.Options.Create(SnapshotOptionsWithRoot()), NullLogger<SnapshotStore>.Instance, TimeProvider.System);

    /// <summary>Everything under the snapshot root, relative, for asserting that nothing half-built is left.</summary>
    public IReadOnlyList<string> SnapshotRootEntries() => Directory.Exists(SnapshotRoot)
        ? Directory.EnumerateFileSystemEntries(SnapshotRoot).Select(Path.GetFileName).OfType<string>().Order().ToList()
        : [];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private SnapshotOptions SnapshotOptionsWithRoot()
    {
        Options.Root = SnapshotRoot;
        return Options;
    }
}

internal sealed class FakeSnapshotUsage : ISnapshotUsage
{
    public HashSet<string> InUse { get; } = new(StringComparer.Ordinal);

    public Task<IReadOnlySet<string>> SnapshotsInUseAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlySet<string>>(InUse.ToHashSet());
}
