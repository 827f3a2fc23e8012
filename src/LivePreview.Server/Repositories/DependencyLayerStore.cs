using System.Text.Json;
using LivePreview.Egress;
using LivePreview.Hosting;
using LivePreview.Sandboxes;
using LivePreview.Snapshots;
using Microsoft.Extensions.Options;

namespace LivePreview.Repositories;

/// <summary>
/// Dependency layers on local disk, <c>{DataDirectory}/layers/{key}</c> (the same disk as sandboxes and snapshots), each
/// with its manifest beside it (<c>{key}.json</c>, written last: a layer folder without one is not finished) and its
/// last use (<c>{key}.used</c>'s time). One build per key runs in this process and every caller awaits it; another
/// process building the same key meanwhile is harmless (both build in private folders, the first rename wins). Builds run
/// under the store's lifetime, not a caller's token: one caller giving up must not kill a build others wait for.
/// </summary>
internal sealed class DependencyLayerStore : IDependencyLayers, IDisposable
{
    private readonly ISandboxProvider _provider;
    private readonly NpmCi _installer;
    private readonly ILayerUsage _usage;
    private readonly IOptionsMonitor<RepositoryOptions> _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<string, RunningBuild> _running = new(StringComparer.Ordinal);

    public DependencyLayerStore(ISandboxProvider provider, IEgressPolicy egress, ILayerUsage usage, IOptions<LivePreviewOptions> service,
        IOptions<SnapshotOptions> snapshots, IOptionsMonitor<RepositoryOptions> options, ILogger<DependencyLayerStore> logger, TimeProvider time)
    {
        (_provider, _usage, _options, _logger, _time) = (provider, usage, options, logger, time);
        _installer = new NpmCi(provider, egress, new NpmRegistry(snapshots.Value), snapshots.Value);
        Root = Path.Join(service.Value.ResolveDataDirectory(), "layers");
    }

    public string Root { get; }

    public async Task<DependencyLayer> EnsureAsync(string sourceDirectory, AppProfile profile, IReadOnlyList<string> installCommand,
        IProgress<string>? progress, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? installEnvironment = null)
    {
        var (key, folders) = DependencyLayerKey.Compute(sourceDirectory, profile, installCommand);
        if (Find(key) is { } existing)
        {
            return existing;
        }
        return await JoinOrStart(key, sourceDirectory, folders, installCommand, installEnvironment, progress).WaitAsync(cancellationToken);
    }

    public string KeyOf(string sourceDirectory, AppProfile profile, IReadOnlyList<string> installCommand) =>
        DependencyLayerKey.Compute(sourceDirectory, profile, installCommand).Key;

    /// <summary>The finished layer <paramref name="key"/>, its use recorded; null when there is none.</summary>
    public DependencyLayer? Find(string key)
    {
        var directory = Path.Join(Root, key);
        if (!File.Exists(directory + ".json") || !Directory.Exists(directory))
        {
            return null;
        }
        Touch(key);
        return new DependencyLayer(key, directory, Reused: true, TimeSpan.Zero);
    }

    public string? DirectoryOf(string key) =>
        key.Length == 64 && key.All(char.IsAsciiHexDigitLower) && File.Exists(Path.Join(Root, key) + ".json") ? Path.Join(Root, key) : null;

    private Task<DependencyLayer> JoinOrStart(string key, string source, IReadOnlyList<string> folders, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment, IProgress<string>? progress)
    {
        lock (_gate)
        {
            if (_running.TryGetValue(key, out var running))
            {
                running.Listeners.Add(progress);
                return running.Task;
            }
            var listeners = new Listeners();
            listeners.Add(progress);
            // Task.Run keeps the build's synchronous start outside the lock; callers await the task.
            var task = Task.Run(() => BuildAsync(key, source, folders, command, environment, listeners), CancellationToken.None);
            _running[key] = new RunningBuild(task, listeners);
            return task;
        }
    }

    private async Task<DependencyLayer> BuildAsync(string key, string source, IReadOnlyList<string> folders, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment, Listeners listeners)
    {
        var ct = _lifetime.Token;
        var started = _time.GetTimestamp();
        var work = Path.Join(Root, $".building-{key[..16]}-{Guid.NewGuid():N}");
        try
        {
            RepositoryLog.LayerBuilding(_logger, key);
            Directory.CreateDirectory(Root);
            await InstallAsync(key, source, folders, command, environment, work, listeners, ct);
            var elapsed = _time.GetElapsedTime(started);
            var size = SourceFiles.SizeOf(work);
            var layer = MoveIntoPlace(key, work, new LayerManifest(key, _time.GetUtcNow(), (long)elapsed.TotalMilliseconds, size, [.. command]));
            RepositoryLog.LayerBuilt(_logger, key, elapsed.TotalSeconds, size / 1024 / 1024);
            await EvictAsync(ct);
            return layer with { Reused = false, InstallTime = elapsed };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RepositoryLog.LayerFailed(_logger, key, e);
            throw e is SnapshotException ? new DependencyInstallException(e.Message) : e;
        }
        finally
        {
            DeleteQuietly(work);
            lock (_gate)
            {
                _running.Remove(key);
            }
        }
    }

    /// <summary>A build sandbox over the source runs the install; then only the node_modules folders are copied out.</summary>
    private async Task InstallAsync(string key, string source, IReadOnlyList<string> folders, IReadOnlyList<string> command, IReadOnlyDictionary<string, string>? environment, string work,
        Listeners listeners, CancellationToken ct)
    {
        if (_provider is not ISandboxWorkspaceCopy copier)
        {
            throw new DependencyInstallException($"The sandbox provider '{_provider.Name}' cannot copy a workspace out, so it cannot build dependency layers.");
        }
        var sandboxId = SandboxId.New();
        try
        {
            await _provider.CreateAsync(new SandboxSpec(sandboxId, source), ct);
            listeners.Report($"Installing dependencies ({string.Join(' ', command.Take(2).Select(Path.GetFileName))}) in build sandbox {sandboxId}");
            await _installer.RunAsync(sandboxId, command, null, _options.CurrentValue.InstallTimeout, "LivePreview:Repositories:InstallTimeout", line =>
            {
                RepositoryLog.InstallOutput(_logger, key, line);
                listeners.Report(line);
                return Task.CompletedTask;
            }, ct, environment);
            var modules = folders.Select(f => f.Length == 0 ? "node_modules" : $"{f}/node_modules").ToList();
            var files = await copier.CopyWorkspaceFoldersAsync(sandboxId, work, modules, ct);
            listeners.Report($"Copied {files} installed files out of the build sandbox");
        }
        finally
        {
            try
            {
                await _provider.DeleteAsync(sandboxId, CancellationToken.None);
            }
            catch (Exception e)
            {
                RepositoryLog.BuildSandboxNotDeleted(_logger, sandboxId, e);
            }
        }
    }

    /// <summary>Renamed into place, then the manifest (temp + rename): the manifest is what says "finished". Another process's finished layer wins.</summary>
    private DependencyLayer MoveIntoPlace(string key, string work, LayerManifest manifest)
    {
        var target = Path.Join(Root, key);
        if (Find(key) is { } theirs)
        {
            return theirs;
        }
        if (Directory.Exists(target))
        {
            // Left by a crash between the rename and the manifest: never finished, and no sandbox mounts an unfinished layer.
            var stale = Path.Join(Root, $".stale-{key[..16]}-{Guid.NewGuid():N}");
            Directory.Move(target, stale);
            DeleteQuietly(stale);
        }
        Directory.Move(work, target);
        var temporary = $"{target}.json.{Guid.NewGuid():N}.tmp";
        File.WriteAllBytes(temporary, JsonSerializer.SerializeToUtf8Bytes(manifest));
        File.Move(temporary, target + ".json", overwrite: true);
        Touch(key);
        return new DependencyLayer(key, target, Reused: false, TimeSpan.FromMilliseconds(manifest.InstallMs));
    }

    /// <summary>
    /// Layers unused for longer than MaxAge, then the least recently used while all of them exceed MaxTotalMb, are deleted;
    /// never one a sandbox sits on (the database still names it) or one being built. Best effort.
    /// </summary>
    public async Task EvictAsync(CancellationToken ct)
    {
        try
        {
            var options = _options.CurrentValue.Layers;
            var inUse = await _usage.LayersInUseAsync(ct);
            var layers = Directory.EnumerateFiles(Root, "*.json").Select(ReadManifest).OfType<LayerManifest>()
                .Select(m => (Manifest: m, LastUse: LastUse(m.Id))).OrderBy(l => l.LastUse).ToList();
            var total = layers.Sum(l => l.Manifest.SizeBytes);
            var now = _time.GetUtcNow();
            foreach (var (manifest, lastUse) in layers)
            {
                var old = now - lastUse > options.MaxAge;
                var over = total > options.MaxTotalMb * 1024 * 1024;
                if ((old || over) && !inUse.Contains(manifest.Id) && !IsBuilding(manifest.Id))
                {
                    Delete(manifest.Id);
                    total -= manifest.SizeBytes;
                    RepositoryLog.LayerEvicted(_logger, manifest.Id, old ? $"unused since {lastUse:u}" : $"layers take more than {options.MaxTotalMb} MB");
                }
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            RepositoryLog.EvictionFailed(_logger, e);
        }
    }

    private bool IsBuilding(string key)
    {
        lock (_gate)
        {
            return _running.ContainsKey(key);
        }
    }

    /// <summary>The manifest goes first: from then on the layer is unfinished, and nothing new mounts it.</summary>
    private void Delete(string key)
    {
        var target = Path.Join(Root, key);
        File.Delete(target + ".json");
        File.Delete(target + ".used");
        if (Directory.Exists(target))
        {
            var doomed = Path.Join(Root, $".deleting-{key[..16]}-{Guid.NewGuid():N}");
            Directory.Move(target, doomed);
            DeleteQuietly(doomed);
        }
    }

    private void Touch(string key)
    {
        var used = Path.Join(Root, key) + ".used";
        File.WriteAllBytes(used, []);
        File.SetLastWriteTimeUtc(used, _time.GetUtcNow().UtcDateTime);
    }

    private DateTimeOffset LastUse(string key)
    {
        var used = new FileInfo(Path.Join(Root, key) + ".used");
        return used.Exists ? used.LastWriteTimeUtc : DateTimeOffset.MinValue;
    }

    private static LayerManifest? ReadManifest(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<LayerManifest>(File.ReadAllBytes(path)) is { } m && m.Id.Length == 64 && Path.GetFileNameWithoutExtension(path) == m.Id ? m : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    private static void DeleteQuietly(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                SnapshotLayout.DeleteDirectory(directory);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public void Dispose()
    {
        _lifetime.Cancel();
        _lifetime.Dispose();
    }

    private sealed record RunningBuild(Task<DependencyLayer> Task, Listeners Listeners);

    private sealed record LayerManifest(string Id, DateTimeOffset CreatedAt, long InstallMs, long SizeBytes, string[] InstallCommand);

    /// <summary>Every caller's progress, joiners included from when they joined.</summary>
    private sealed class Listeners
    {
        private readonly Lock _gate = new();
        private readonly List<IProgress<string>> _all = [];

        public void Add(IProgress<string>? progress)
        {
            if (progress is not null)
            {
                lock (_gate)
                {
                    _all.Add(progress);
                }
            }
        }

        public void Report(string line)
        {
            IProgress<string>[] all;
            lock (_gate)
            {
                all = [.. _all];
            }
            foreach (var progress in all)
            {
                progress.Report(line);
            }
        }
    }
}

/// <summary>Which dependency layers sandboxes sit on; those are never deleted.</summary>
internal interface ILayerUsage
{
    Task<IReadOnlySet<string>> LayersInUseAsync(CancellationToken cancellationToken);
}
