using System.Diagnostics;
using System.Globalization;
using LivePreview.Frameworks;
using LivePreview.Hosting;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using LivePreview.Snapshots;
using LivePreview.Tests.Support;
using Microsoft.Extensions.Options;

namespace LivePreview.Bench;

/// <summary>
/// How long making a sandbox's workspace from a built snapshot takes, per cloning method, and how
/// much each one really writes. Methods run round-robin within each round so that load from other
/// work on the machine spreads over all of them; the first round is a warm-up (page cache, JIT).
/// </summary>
internal sealed class WorkspaceBench(LivePreviewHost host, Janitor janitor, Report report)
{
    private sealed record Method(string Name, string Notes, Func<string, string, CancellationToken, Task<Made>> MakeAsync);

    /// <summary>What a method made: the folder to measure with du, the folder to remove, and how to remove it.</summary>
    private sealed record Made(string Measure, Func<CancellationToken, Task> RemoveAsync, bool SharesWithSnapshot);

    public async Task RunAsync(IReadOnlyList<FrameworkDefinition> frameworks, int samples, CancellationToken cancellationToken)
    {
        var provider = host.Service<ISandboxProvider>();
        var sandboxRoot = host.Service<IOptions<LocalSandboxOptions>>().Value.ResolveRoot(host.Service<IOptions<LivePreviewOptions>>().Value);
        var local = host.Service<IOptions<LocalSandboxOptions>>().Value;
        await using var unlimited = new LocalSandboxProvider(
            Options.Create(new LocalSandboxOptions { Root = sandboxRoot, SubnetPrefix = local.SubnetPrefix, DiskLimitMb = 0 }),
            host.Service<IOptions<LivePreviewOptions>>(), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<LocalSandboxProvider>.Instance);
        var benchRoot = Path.Combine(host.DataDirectory, "bench-workspaces");
        Directory.CreateDirectory(benchRoot);
        janitor.Directory(benchRoot);

        Method[] methods =
        [
            new("overlay mount", "mkdir upper/work/merged + mount(2), as the local provider does; bytes = upper + work", async (snapshot, _, _) =>
            {
                var layout = new SandboxLayout(benchRoot, "ov" + SandboxId.New()[..10]);
                janitor.Overlay(layout);
                layout.CreateDirectories();
                layout.CreateLayerDirectories();
                OverlayMount.Mount(layout, snapshot);
                await Task.CompletedTask;
                return new Made(layout.Directory, ct => janitor.RemoveOverlayAsync(layout, ct), SharesWithSnapshot: false);
            }),
            new("provider create (disk image + overlay + netns + cgroups)", "ISandboxProvider.CreateAsync: the sandbox's ext4 disk image (mkfs + loop mount), the overlay, its network namespace, veth and cgroups", async (snapshot, _, ct) =>
            {
                var id = SandboxId.New();
                janitor.ProviderSandbox(id);
                await provider.CreateAsync(new SandboxSpec(id, snapshot), ct);
                return new Made(Path.Combine(sandboxRoot, id), c => janitor.DeleteProviderSandboxAsync(id, c), SharesWithSnapshot: false);
            }),
            new("provider create, DiskLimitMb=0", "the same without the disk image (the writable layer on the data directory's disk)", async (snapshot, _, ct) =>
            {
                var id = SandboxId.New();
                janitor.ProviderSandbox(id);
                await unlimited.CreateAsync(new SandboxSpec(id, snapshot), ct);
                return new Made(Path.Combine(sandboxRoot, id), c => janitor.DeleteProviderSandboxAsync(id, c), SharesWithSnapshot: false);
            }),
            new("full copy (cp -a)", "cp -a of the whole snapshot", async (snapshot, target, ct) =>
            {
                await HostCommand.RunAsync("cp", ["-a", "--", snapshot, target], ct);
                return Copied(target, shares: false);
            }),
            new("cp -a sources + cp -al node_modules", "sources copied, node_modules hardlinked (directories are still created)", async (snapshot, target, ct) =>
            {
                await CopySourcesAsync(snapshot, target, ct);
                await HostCommand.RunAsync("cp", ["-al", "--", Path.Combine(snapshot, "node_modules"), Path.Combine(target, "node_modules")], ct);
                return Copied(target, shares: true);
            }),
            new("cp -a sources + symlink node_modules", "sources copied, node_modules one symlink to the snapshot's", async (snapshot, target, ct) =>
            {
                await CopySourcesAsync(snapshot, target, ct);
                File.CreateSymbolicLink(Path.Combine(target, "node_modules"), Path.Combine(snapshot, "node_modules"));
                return Copied(target, shares: true);
            }),
        ];

        foreach (var framework in frameworks)
        {
            var snapshot = await SnapshotDirectoryAsync(framework, cancellationToken);
            Console.WriteLine($"workspace creation {framework.Name} from {snapshot}: 1 warm-up + {samples} rounds of {methods.Length} methods");
            var times = methods.ToDictionary(m => m, _ => new List<double>());
            var written = new Dictionary<Method, long>();
            for (var round = 0; round <= samples; round++)
            {
                foreach (var method in methods)
                {
                    var target = Path.Combine(benchRoot, $"{framework.Name}-{round}-{SandboxId.New()}");
                    var clock = Stopwatch.StartNew();
                    var made = await method.MakeAsync(snapshot, target, cancellationToken);
                    var ms = clock.Elapsed.TotalMilliseconds;
                    try
                    {
                        if (round > 0)
                        {
                            times[method].Add(ms);
                        }
                        if (round == 1)
                        {
                            written[method] = await BytesWrittenAsync(snapshot, made, cancellationToken);
                        }
                    }
                    finally
                    {
                        await made.RemoveAsync(cancellationToken);
                    }
                }
            }
            foreach (var method in methods)
            {
                var values = times[method];
                report.Add(new Row($"workspace: {method.Name} {framework.Name}", Stats.Ms(Stats.P50(values)), Stats.Ms(Stats.P95(values)), "—", "—",
                    $"n={values.Count}; writes {Stats.Bytes(written[method])}; {method.Notes}"));
            }
        }

        Made Copied(string target, bool shares)
        {
            janitor.Directory(target);
            return new Made(target, ct => janitor.RemoveDirectoryAsync(target, ct), shares);
        }
    }

    /// <summary>Everything at the snapshot's top level except node_modules, in one cp.</summary>
    private async Task CopySourcesAsync(string snapshot, string target, CancellationToken cancellationToken)
    {
        janitor.Directory(target);
        Directory.CreateDirectory(target);
        var entries = Directory.EnumerateFileSystemEntries(snapshot).Where(e => Path.GetFileName(e) != "node_modules").ToList();
        await HostCommand.RunAsync("cp", ["-a", "--", .. entries, target + "/"], cancellationToken);
    }

    /// <summary>
    /// Blocks allocated for what the method made. du counts an inode once per invocation, so listing the
    /// snapshot first leaves out whatever is hardlinked to it; -x keeps it out of a mounted overlay.
    /// </summary>
    private static async Task<long> BytesWrittenAsync(string snapshot, Made made, CancellationToken cancellationToken)
    {
        string[] arguments = made.SharesWithSnapshot ? ["-sxB1", "--", snapshot, made.Measure] : ["-sxB1", "--", made.Measure];
        var output = await HostCommand.RunAsync("du", arguments, cancellationToken);
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        return long.Parse(last.Split('\t')[0], CultureInfo.InvariantCulture);
    }

    private async Task<string> SnapshotDirectoryAsync(FrameworkDefinition framework, CancellationToken cancellationToken)
    {
        var store = host.Service<ISnapshotStore>();
        if (store.TryGetCurrent(framework) is { } current)
        {
            return current.Directory;
        }
        Console.WriteLine($"  no current {framework.Name} snapshot: building it (not timed)");
        return (await store.EnsureAsync(framework, cancellationToken)).Directory;
    }
}
