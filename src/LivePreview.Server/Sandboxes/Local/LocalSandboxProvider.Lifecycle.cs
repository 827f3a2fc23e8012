namespace LivePreview.Sandboxes.Local;

/// <summary>The pieces a sandbox is made of on the host: folder, overlay mount, network, cgroups; set up and torn down idempotently.</summary>
internal sealed partial class LocalSandboxProvider
{
    /// <summary>Creates whatever is missing (after a restart: usually the mount; after a reboot: the network too). Returns what was re-created.</summary>
    private async Task<List<string>> EnsureReadyAsync(SandboxLayout layout, LocalSandboxRecord record, CancellationToken cancellationToken)
    {
        var repaired = new List<string>();
        // Also on attach: after a restart the network exists already, and no sandbox runs without the firewall.
        await _firewall.EnsureAsync(cancellationToken);
        layout.CreateDirectories();
        SandboxEtc.Ensure(_root, _options.SandboxUid, _options.SandboxGid);
        if (!OverlayMount.IsMounted(layout.Merged))
        {
            OverlayMount.Mount(layout, record.SnapshotDirectory);
            repaired.Add("mount");
        }
        if (!NetworkNamespace.IsComplete(layout))
        {
            await _network.EnsureAsync(layout, Subnet(record), cancellationToken);
            repaired.Add("network");
        }
        _cgroups.Ensure(layout.Id);
        _records[layout.Id] = record;
        return repaired;
    }

    /// <summary>Kills, unmounts, removes the network and the cgroups, then the folder. Safe to repeat, and on a half-made sandbox.</summary>
    private async Task TearDownAsync(SandboxLayout layout, CancellationToken cancellationToken)
    {
        await _processes.KillAllAsync(layout.Id);
        _records.TryRemove(layout.Id, out _);
        OverlayMount.Unmount(layout.Merged);
        await _network.DeleteAsync(layout, cancellationToken);
        await CgroupLimits.RemoveAsync(layout.Id);
        if (OverlayMount.IsMounted(layout.Merged))
        {
            // Never recurse into a mounted workspace: that would delete through the overlay.
            throw new IOException($"'{layout.Merged}' is still mounted; the sandbox folder was kept.");
        }
        if (Directory.Exists(layout.Directory))
        {
            Directory.Delete(layout.Directory, recursive: true);
        }
    }

    /// <summary>Undoes a failed create without hiding why it failed.</summary>
    private async Task TryTearDownAsync(SandboxLayout layout)
    {
        try
        {
            await TearDownAsync(layout, CancellationToken.None);
        }
        catch (Exception e)
        {
            LocalSandboxLog.CleanupFailed(_logger, e, layout.Id, "undoing a failed create");
        }
    }

    /// <summary>Picks the lowest /30 that no sandbox of this root holds and no host interface uses, and records it.</summary>
    private async Task<LocalSandboxRecord> AllocateAsync(SandboxLayout layout, string snapshot, CancellationToken cancellationToken)
    {
        await _allocation.WaitAsync(cancellationToken);
        try
        {
            var taken = Directory.Exists(_root)
                ? Directory.EnumerateDirectories(_root).Select(d => new SandboxLayout(_root, Path.GetFileName(d)).ReadRecord()?.SubnetIndex).OfType<int>().ToHashSet()
                : [];
            var hostAddresses = NetworkNamespace.HostAddresses();
            var index = Enumerable.Range(0, SandboxSubnet.Capacity)
                .FirstOrDefault(i => !taken.Contains(i) && !hostAddresses.Contains(SandboxSubnet.For(_options.SubnetPrefix, i).Host.ToString()), -1);
            if (index < 0)
            {
                throw new InvalidOperationException($"All {SandboxSubnet.Capacity} sandbox subnets of {_options.SubnetPrefix}.0.0/16 are in use.");
            }
            var record = new LocalSandboxRecord(snapshot, index, _time.GetUtcNow());
            Directory.CreateDirectory(_root);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(_root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            layout.CreateDirectories();
            layout.WriteRecord(record);
            return record;
        }
        finally
        {
            _allocation.Release();
        }
    }

    private SandboxLayout Layout(string sandboxId) =>
        SandboxId.IsValid(sandboxId) ? new SandboxLayout(_root, sandboxId) : throw new SandboxNotFoundException(sandboxId);

    private LocalSandboxRecord Record(string sandboxId) =>
        _records.TryGetValue(sandboxId, out var record) ? record : Layout(sandboxId).ReadRecord() ?? throw new SandboxNotFoundException(sandboxId);

    private SandboxSubnet Subnet(LocalSandboxRecord record) => SandboxSubnet.For(_options.SubnetPrefix, record.SubnetIndex);

    private static string ValidateSnapshot(string snapshotDirectory)
    {
        var full = Path.GetFullPath(snapshotDirectory);
        if (OverlayOptions.HasForbiddenCharacter(full))
        {
            throw new ArgumentException($"The snapshot path '{full}' contains ',', ':' or '\\', which overlayfs cannot take.", nameof(snapshotDirectory));
        }
        return Directory.Exists(full) ? full : throw new DirectoryNotFoundException($"The snapshot directory '{full}' does not exist.");
    }

    private async Task<IDisposable> LockAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var gate = _locks.GetOrAdd(sandboxId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        return new Releaser(gate);
    }

    private sealed class Releaser(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
