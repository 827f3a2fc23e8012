using LivePreview.Egress;
using LivePreview.Frameworks;
using LivePreview.Hosting;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using LivePreview.Snapshots;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Snapshots;

/// <summary>
/// A temporary folder with templates whose package.json has no dependencies (so the real <c>npm ci</c>,
/// in a real sandbox, needs no network and takes a second or two), a snapshot root, a local sandbox
/// provider of its own (own root, own firewall table) with the real egress proxy, and the fakes a store needs.
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
        SandboxOptions = new LocalSandboxOptions
        {
            Root = Path.Combine(Root, "sandboxes"),
            SubnetPrefix = "10.238",
            FirewallTable = LivePreview.Tests.Sandboxes.Local.LocalSandboxHarness.NewFirewallTable(),
            KillTimeout = TimeSpan.FromSeconds(5),
        };
        Provider = new LocalSandboxProvider(Microsoft.Extensions.Options.Options.Create(SandboxOptions),
            Microsoft.Extensions.Options.Options.Create(new LivePreviewOptions()), TimeProvider.System, NullLogger<LocalSandboxProvider>.Instance);
        Egress = NewEgress(Provider, Events);
    }

    public LocalSandboxOptions SandboxOptions { get; }

    /// <summary>The real provider builds run in (the store gets it unless a test passes another).</summary>
    public LocalSandboxProvider Provider { get; }

    public IEgressPolicy Egress { get; }

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

    public static EgressProxy NewEgress(ISandboxProvider provider, RecordingEventBus events, EgressOptions? egressOptions = null)
    {
        var options = Microsoft.Extensions.Options.Options.Create(egressOptions ?? new EgressOptions());
        return new EgressProxy(provider, new EgressRefusals(events, options, TimeProvider.System, NullLogger<EgressRefusals>.Instance), options,
            NullLogger<EgressProxy>.Instance);
    }

    public SnapshotStore CreateStore(ISandboxProvider? provider = null) => new(
        Layout, provider ?? Provider, Egress, Usage, Events,
        Microsoft.Extensions.Options.Options.Create(SnapshotOptionsWithRoot()), NullLogger<SnapshotStore>.Instance, TimeProvider.System);

    /// <summary>Everything under the snapshot root, relative, for asserting that nothing half-built is left.</summary>
    public IReadOnlyList<string> SnapshotRootEntries() => Directory.Exists(SnapshotRoot)
        ? Directory.EnumerateFileSystemEntries(SnapshotRoot).Select(Path.GetFileName).OfType<string>().Order().ToList()
        : [];

    /// <summary>Sandboxes the provider still holds (a failed build may leave one), the firewall table, the folder.</summary>
    public void Dispose() => Task.Run(async () =>
    {
        foreach (var id in await Provider.ListAsync(CancellationToken.None))
        {
            await Provider.DeleteAsync(id, CancellationToken.None);
        }
        await ((EgressProxy)Egress).DisposeAsync();
        await Provider.DisposeAsync();
        await new SandboxFirewall(SandboxOptions, NullLogger.Instance).DeleteAsync(CancellationToken.None);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }).GetAwaiter().GetResult();

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
