using System.Collections.Concurrent;
using System.Net;
using LivePreview.Hosting;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Sandboxes on this machine: an overlay of the snapshot as the workspace, a network namespace
/// with its own address, and bubblewrap for every process. Runs as root on Linux.
/// </summary>
internal sealed partial class LocalSandboxProvider : ISandboxProvider, IAsyncDisposable
{
    private readonly LocalSandboxOptions _options;
    private readonly string _root;
    private readonly NetworkNamespace _network;
    private readonly SandboxFirewall _firewall;
    private readonly CgroupLimits _cgroups;
    private readonly WorkspaceDisk _disk;
    private readonly ProcessLauncher _launcher = new();
    private readonly ProcessRegistry _processes;
    private readonly ConcurrentDictionary<string, LocalSandboxRecord> _records = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _allocation = new(1, 1);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ISandboxEnvironment[] _environments;
    private readonly ISandboxReadOnlyLayer[] _layers;

    public LocalSandboxProvider(IOptions<LocalSandboxOptions> options, IOptions<LivePreviewOptions> common, TimeProvider time, ILogger<LocalSandboxProvider> logger,
        SandboxFirewall? firewall = null, IEnumerable<ISandboxEnvironment>? environments = null, IEnumerable<ISandboxReadOnlyLayer>? layers = null)
    {
        _environments = environments?.ToArray() ?? [];
        _layers = layers?.ToArray() ?? [];
        _options = options.Value;
        _root = _options.ResolveRoot(common.Value);
        _firewall = firewall ?? new SandboxFirewall(_options, logger);
        _network = new NetworkNamespace(_options, _firewall);
        _cgroups = new CgroupLimits(_options);
        _disk = new WorkspaceDisk(_options);
        _processes = new ProcessRegistry(logger);
        _hardening = new SandboxHardening(_options, _root, logger);
        _time = time;
        _logger = logger;
    }

    public string Name => "local";

    /// <summary>What the provider checked when it was made (sandbox user, nested user namespaces, seccomp), for the containment report.</summary>
    internal IEnumerable<ContainmentEntry> HardeningReport() => _hardening.Report();

    /// <summary>Fails closed: no sandbox is created while the firewall cannot be loaded (unless it is switched off).</summary>
    public Task EnsureAvailableAsync(CancellationToken cancellationToken) => _firewall.EnsureAsync(cancellationToken);

    public async Task CreateAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        var layout = Layout(spec.SandboxId);
        var snapshot = ValidateSnapshot(spec.SnapshotDirectory);
        var lowers = (spec.LowerDirectories ?? []).Select(ValidateSnapshot).ToList();
        using var held = await LockAsync(layout.Id, cancellationToken);
        var existing = layout.ReadRecord();
        if (existing is null)
        {
            _disk.EnsureFreeSpace(_root);
        }
        var record = existing ?? await AllocateAsync(layout, snapshot, lowers, cancellationToken);
        if (record.SnapshotDirectory != snapshot || !record.Layers.Skip(1).SequenceEqual(lowers))
        {
            throw new InvalidOperationException($"Sandbox '{layout.Id}' already exists on another snapshot ({record.SnapshotDirectory}).");
        }
        try
        {
            await EnsureReadyAsync(layout, record, cancellationToken);
        }
        catch when (existing is null)
        {
            await TryTearDownAsync(layout);
            throw;
        }
        if (existing is null)
        {
            LocalSandboxLog.Created(_logger, layout.Id, snapshot, Subnet(record).Sandbox.ToString());
        }
    }

    public async Task<bool> AttachAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        var layout = Layout(spec.SandboxId);
        using var held = await LockAsync(layout.Id, cancellationToken);
        if (layout.ReadRecord() is not { } record)
        {
            return false;
        }
        if (record.SnapshotDirectory != Path.GetFullPath(spec.SnapshotDirectory))
        {
            // The upper layer only makes sense on top of the lower layer it was written against.
            LocalSandboxLog.SnapshotMismatch(_logger, layout.Id, record.SnapshotDirectory, spec.SnapshotDirectory);
        }
        var repaired = await EnsureReadyAsync(layout, record, cancellationToken);
        LocalSandboxLog.Attached(_logger, layout.Id, repaired.Count == 0 ? "nothing" : string.Join(", ", repaired));
        return true;
    }

    public ValueTask<EndPoint> GetPortEndpointAsync(string sandboxId, int port, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort + 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        return ValueTask.FromResult<EndPoint>(new IPEndPoint(Subnet(Record(sandboxId)).Sandbox, port));
    }

    public ISandboxFileSystem Files(string sandboxId)
    {
        Record(sandboxId);
        return new LocalSandboxFileSystem(Layout(sandboxId).Merged, sandboxId, SandboxOwner.From(_options));
    }

    public async Task StopAsync(string sandboxId, CancellationToken cancellationToken)
    {
        Record(sandboxId);
        using var held = await LockAsync(sandboxId, cancellationToken);
        var count = await _processes.KillAllAsync(sandboxId);
        await _environments.ReleaseAsync(sandboxId);
        LocalSandboxLog.Stopped(_logger, sandboxId, count);
    }

    public async Task DeleteAsync(string sandboxId, CancellationToken cancellationToken)
    {
        if (!SandboxId.IsValid(sandboxId))
        {
            return;
        }
        var layout = Layout(sandboxId);
        using var held = await LockAsync(sandboxId, cancellationToken);
        // Before the namespace goes: a listener left in it would keep the namespace alive.
        await _environments.ReleaseAsync(sandboxId);
        await TearDownAsync(layout, cancellationToken);
        LocalSandboxLog.Deleted(_logger, sandboxId);
    }

    public Task<SandboxHealth> GetHealthAsync(string sandboxId, CancellationToken cancellationToken)
    {
        if (!SandboxId.IsValid(sandboxId) || Layout(sandboxId).ReadRecord() is null)
        {
            return Task.FromResult(new SandboxHealth(false, false, "The sandbox does not exist."));
        }
        var layout = Layout(sandboxId);
        var problems = new List<string>();
        if (!OverlayMount.IsMounted(layout.Merged) || !WorkspaceBind.IsMounted(_root, sandboxId))
        {
            problems.Add("the workspace is not mounted");
        }
        if (File.Exists(layout.DiskImage) && !OverlayMount.IsMounted(layout.Disk))
        {
            problems.Add("the workspace's disk image is not mounted");
        }
        if (!NetworkNamespace.IsComplete(layout))
        {
            problems.Add("the network namespace is missing");
        }
        var detail = problems.Count == 0 ? null : string.Join("; ", problems) + " (attach the sandbox to repair it)";
        return Task.FromResult(new SandboxHealth(true, problems.Count == 0, detail));
    }

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<string> ids = !Directory.Exists(_root)
            ? []
            : Directory.EnumerateDirectories(_root).Select(Path.GetFileName).OfType<string>()
                .Where(id => SandboxId.IsValid(id) && File.Exists(Layout(id).RecordFile)).Order(StringComparer.Ordinal).ToList();
        return Task.FromResult(ids);
    }

    /// <summary>The cgroup's OOM-kill counter beside the configured limit (the limit every sandbox's group is given).</summary>
    public ValueTask<SandboxMemoryLimit?> GetMemoryAsync(string sandboxId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(SandboxId.IsValid(sandboxId) && CgroupLimits.OomKills(sandboxId) is { } kills
            ? new SandboxMemoryLimit(_options.MemoryLimitMb, kills) : null);

    /// <summary>Kills every sandbox process at shutdown; the sandboxes themselves (mounts, networks) stay for the next start to attach.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await _processes.KillEverythingAsync();
        }
        finally
        {
            _launcher.Dispose();
            _ports.Dispose();
        }
    }
}
