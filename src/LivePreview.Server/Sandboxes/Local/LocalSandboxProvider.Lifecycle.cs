namespace LivePreview.Sandboxes.Local;

/// <summary>The pieces a sandbox is made of on the host: folder, overlay mount, network, cgroups; set up and torn down idempotently.</summary>
internal sealed partial class LocalSandboxProvider
{
    /// <summary>Creates whatever is missing (after a restart: usually the mount; after a reboot: the network too). Returns what was re-created.</summary>
    private async Task<List<string>> EnsureReadyAsync(SandboxLayout layout, LocalSandboxRecord record, CancellationToken cancellationToken)
    {
        var repaired = new List<string>();
        _hardening.ThrowIfUnusable();
        // Also on attach: after a restart the network exists already, and no sandbox runs without the firewall.
        await _firewall.EnsureAsync(cancellationToken);
        layout.CreateDirectories();
        foreach (var lower in record.Layers)
        {
            if (SandboxOwnership.EnsureSnapshot(lower, SandboxOwner.From(_options), Path.Join(_root, ".snapshots-owned")))
            {
                LocalSandboxLog.SnapshotOwned(_logger, lower, _options.HostUid);
            }
        }
        var owner = SandboxOwner.From(_options);
        if (OverlayMount.IsMounted(layout.Merged) && SandboxOwnership.Apply(layout, owner))
        {
            // The upper layer was host root's (made before sandboxes had their own host user): remount so the overlay sees the new owners.
            OverlayMount.Unmount(layout.Merged);
        }
        if (!OverlayMount.IsMounted(layout.Merged))
        {
            await EnsureDiskAsync(layout, record, repaired, cancellationToken);
            layout.CreateLayerDirectories();
            // Once the disk image holding upper/ is mounted, and before the overlay caches its root's owner.
            SandboxOwnership.Apply(layout, owner);
            // A bind left from before would keep an old overlay of the same upper layer (or an old disk mount) alive.
            HomeBind.Remove(_root, layout.Id);
            WorkspaceBind.Remove(_root, layout.Id);
            OverlayMount.Mount(layout, record.Layers);
            repaired.Add("mount");
        }
        WorkspaceBind.Ensure(layout, _root, owner);
        HomeBind.Ensure(layout, _root, owner);
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
        HomeBind.Remove(_root, layout.Id);
        WorkspaceBind.Remove(_root, layout.Id);
        OverlayMount.Unmount(layout.Merged);
        WorkspaceDisk.Unmount(layout);
        await _network.DeleteAsync(layout, cancellationToken);
        await CgroupLimits.RemoveAsync(layout.Id);
        if (OverlayMount.IsMounted(layout.Merged) || OverlayMount.IsMounted(layout.Disk))
        {
            // Never recurse into a mounted workspace: that would delete through the overlay (or inside the image).
            throw new IOException($"'{layout.Merged}' or '{layout.Disk}' is still mounted; the sandbox folder was kept.");
        }
        if (Directory.Exists(layout.Directory))
        {
            Directory.Delete(layout.Directory, recursive: true);
        }
    }

    /// <summary>
    /// The writable layer's own file system, mounted before the overlay (never an overlay on the bare
    /// folder under it: that would be a sandbox without its disk limit). Made on first use.
    /// </summary>
    private async Task EnsureDiskAsync(SandboxLayout layout, LocalSandboxRecord record, List<string> repaired, CancellationToken cancellationToken)
    {
        if (record.DiskLimitMb > 0 && !File.Exists(layout.DiskImage))
        {
            await _disk.CreateAsync(layout, cancellationToken);
        }
        if (await _disk.EnsureMountedAsync(layout, cancellationToken))
        {
            repaired.Add("disk");
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

    /// <summary>Picks the lowest block that no sandbox of this root holds and the host does not use (an address or a route), and records it.</summary>
    private async Task<LocalSandboxRecord> AllocateAsync(SandboxLayout layout, string snapshot, IReadOnlyList<string> lowers, CancellationToken cancellationToken)
    {
        await _allocation.WaitAsync(cancellationToken);
        try
        {
            var taken = Directory.Exists(_root)
                ? Directory.EnumerateDirectories(_root).Select(d => new SandboxLayout(_root, Path.GetFileName(d)).ReadRecord()?.SubnetIndex).OfType<int>().ToHashSet()
                : [];
            var inUse = NetworkNamespace.AddressesInUse();
            var index = Enumerable.Range(0, SandboxSubnet.Usable).FirstOrDefault(i => !taken.Contains(i) && !InUse(SandboxSubnet.For(_options.SubnetPrefix, i)), -1);
            bool InUse(SandboxSubnet subnet) => inUse.Contains(subnet.Host.ToString()) || inUse.Contains(subnet.Sandbox.ToString());
            if (index < 0)
            {
                throw new InvalidOperationException($"All {SandboxSubnet.Usable} sandbox subnets of {_options.SubnetPrefix}.0.0/16 are in use.");
            }
            var record = new LocalSandboxRecord(snapshot, index, _time.GetUtcNow(), _disk.Enabled ? _options.DiskLimitMb : 0, lowers.Count == 0 ? null : lowers);
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
