using LivePreview.DevServers;
using LivePreview.Frameworks;
using LivePreview.Sandboxes;

namespace LivePreview.Snapshots;

/// <summary>
/// Fills a build's <c>node_modules/.vite</c> with Vite's optimized deps. Vite keys that cache by the
/// project path, and sandboxes see their workspace at <c>/app</c>, so the dev server has to run
/// inside a sandbox made from the build folder; its cache is then copied out and moved into the
/// build once the sandbox (and its overlay over the build folder) is gone.
/// </summary>
internal sealed class DepCacheWarmer(ISandboxProvider provider, ILogger logger, TimeProvider time, SnapshotOptions options)
{
    private const string CacheDirectory = "node_modules/.vite";
    private const string Metadata = CacheDirectory + "/deps/_metadata.json";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan StableFor = TimeSpan.FromSeconds(1);

    /// <summary>
    /// True if the cache is in place; false for frameworks that have none worth keeping.
    /// <paramref name="cacheCopy"/> is a host folder beside the build (same file system) holding the copy meanwhile.
    /// </summary>
    public async Task<bool> WarmAsync(FrameworkDefinition framework, string buildDir, string cacheCopy, BuildReporter reporter, CancellationToken ct)
    {
        if (framework.Kind != DevServerKind.Vite)
        {
            // Measured: next dev answered its first page in 3.5–3.7 s with or without a copied .next
            // cache, so a Next snapshot carries none.
            await reporter.StepAsync("No dep cache to warm for this framework", ct);
            return false;
        }
        var sandboxId = SandboxId.New();
        await reporter.StepAsync($"Warming the dep-optimizer cache in sandbox {sandboxId}", ct);
        try
        {
            await WarmInSandboxAsync(sandboxId, framework, buildDir, cacheCopy, reporter, ct);
        }
        catch
        {
            await DeleteSandboxQuietlyAsync(sandboxId);
            throw;
        }
        // Not quietly: the overlay must be gone before the folder under it changes.
        await provider.DeleteAsync(sandboxId, CancellationToken.None);
        MoveInto(cacheCopy, Path.Combine(buildDir, "node_modules", ".vite"));
        return true;
    }

    private async Task WarmInSandboxAsync(string sandboxId, FrameworkDefinition framework, string buildDir, string cacheCopy, BuildReporter reporter, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(options.WarmUpTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            await provider.CreateAsync(new SandboxSpec(sandboxId, buildDir), linked.Token);
            await RunDevServerAsync(sandboxId, framework, reporter, linked.Token);
            var files = await CopyTreeAsync(provider.Files(sandboxId), CacheDirectory, cacheCopy, linked.Token);
            await reporter.StepAsync($"Copied {files} cached files out of the sandbox", linked.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            throw new SnapshotException($"The dev server did not finish optimizing deps within {options.WarmUpTimeout.TotalSeconds:0} s (LivePreview:Snapshots:WarmUpTimeout).");
        }
    }

    private async Task RunDevServerAsync(string sandboxId, FrameworkDefinition framework, BuildReporter reporter, CancellationToken ct)
    {
        var command = framework.DevServerCommand(framework.DefaultPort, null);
        var process = await provider.StartProcessAsync(sandboxId, new SandboxProcessSpec(command), ct);
        await using (process)
        {
            var output = ForwardOutputAsync(process, reporter, ct);
            try
            {
                await WaitForPageAsync(sandboxId, framework.DefaultPort, process, ct);
                await WaitForStableMetadataAsync(provider.Files(sandboxId), process, ct);
            }
            finally
            {
                // Stopped before copying, so the copy is not taken while Vite rewrites its cache.
                await process.KillAsync();
                await output;
            }
        }
    }

    /// <summary>GET / and the page's own scripts; requesting the entry module is what makes Vite optimize its deps.</summary>
    private async Task WaitForPageAsync(string sandboxId, int port, ISandboxProcess process, CancellationToken ct)
    {
        var endpoint = await provider.GetPortEndpointAsync(sandboxId, port, ct);
        var probe = new ReadinessProbe(SandboxHttpLimits.Default);
        while (!(await probe.CheckAsync(endpoint, SandboxHttp.PageUri(port), requireScripts: true, ct)).IsReady)
        {
            await ThrowIfExitedAsync(process);
            await Task.Delay(PollInterval, time, ct);
        }
    }

    /// <summary>Vite may optimize again after the first requests (and reload); wait until its metadata stops changing.</summary>
    private async Task WaitForStableMetadataAsync(ISandboxFileSystem files, ISandboxProcess process, CancellationToken ct)
    {
        SandboxFileEntry? last = null;
        var stableSince = time.GetUtcNow();
        while (true)
        {
            await ThrowIfExitedAsync(process);
            var entry = await files.StatAsync(Metadata, ct);
            var now = time.GetUtcNow();
            if (entry is null || last is null || entry.Size != last.Size || entry.ModifiedAt != last.ModifiedAt)
            {
                (last, stableSince) = (entry, now);
            }
            else if (now - stableSince >= StableFor)
            {
                return;
            }
            await Task.Delay(PollInterval, time, ct);
        }
    }

    private static async Task ThrowIfExitedAsync(ISandboxProcess process)
    {
        if (process.Exited.IsCompleted)
        {
            throw new SnapshotException($"The dev server exited with code {await process.Exited} while warming the cache; see the build output above.");
        }
    }

    private static async Task ForwardOutputAsync(ISandboxProcess process, BuildReporter reporter, CancellationToken ct)
    {
        try
        {
            await foreach (var line in process.ReadOutputAsync(ct))
            {
                if (!string.IsNullOrWhiteSpace(line))
                {
                    await reporter.OutputAsync(line, ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The warm-up ended; the rest of the output is of no interest.
        }
    }

    private static async Task<int> CopyTreeAsync(ISandboxFileSystem files, string from, string to, CancellationToken ct)
    {
        var entries = await files.ListAsync(from, ct) ?? throw new SnapshotException($"The dev server left no {from} folder in the sandbox.");
        Directory.CreateDirectory(to);
        var copied = 0;
        foreach (var entry in entries)
        {
            var source = $"{from}/{entry.Name}";
            var target = Path.Combine(to, entry.Name);
            copied += entry.IsDirectory
                ? entry.Name.StartsWith("deps_temp", StringComparison.Ordinal) ? 0 : await CopyTreeAsync(files, source, target, ct)
                : await CopyFileAsync(files, source, target, ct);
        }
        return copied;
    }

    private static async Task<int> CopyFileAsync(ISandboxFileSystem files, string source, string target, CancellationToken ct)
    {
        await using var input = await files.OpenReadAsync(source, ct);
        if (input is null)
        {
            return 0;
        }
        await using var output = File.Create(target);
        await input.CopyToAsync(output, ct);
        return 1;
    }

    private static void MoveInto(string from, string to)
    {
        if (Directory.Exists(to))
        {
            Directory.Delete(to, recursive: true);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(to)!);
        Directory.Move(from, to);
    }

    private async Task DeleteSandboxQuietlyAsync(string sandboxId)
    {
        try
        {
            await provider.DeleteAsync(sandboxId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            SnapshotLog.WarmUpSandboxNotDeleted(logger, sandboxId, ex);
        }
    }
}
