using LivePreview.Hosting;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// The local provider's part of the containment report: memory, swap, pids and cpu (cgroups), disk
/// (loop-mounted images), the sandbox user, nested user namespaces and seccomp (what the provider
/// checked when it was made), and the firewall (loaded here; the verifier reports later changes).
/// </summary>
internal sealed class LocalContainmentProbe(IOptions<LocalSandboxOptions> options, ISandboxProvider provider, SandboxFirewall firewall) : IContainmentProbe
{
    public IEnumerable<ContainmentEntry> Probe()
    {
        var entries = new List<ContainmentEntry>([.. new CgroupLimits(options.Value).Report(), new WorkspaceDisk(options.Value).Report()]);
        if (provider is LocalSandboxProvider local)
        {
            entries.AddRange(local.HardeningReport());
        }
        entries.Add(FirewallEntry());
        return entries;
    }

    private ContainmentEntry FirewallEntry()
    {
        if (!firewall.Enabled)
        {
            return ContainmentEntry.Off(SandboxFirewall.ContainmentName, $"{LocalSandboxOptions.Section}:Firewall = Off");
        }
        try
        {
            // Probes run once, before the service listens; loading takes one nft call.
            firewall.EnsureAsync(CancellationToken.None).GetAwaiter().GetResult();
            return firewall.Enforced();
        }
        catch (SandboxUnavailableException e)
        {
            return ContainmentEntry.Unavailable(SandboxFirewall.ContainmentName, e.Message);
        }
    }
}

/// <summary>Free space on the disks holding the sandboxes and the database must stay above <see cref="LocalSandboxOptions.MinFreeDiskMb"/>.</summary>
internal sealed class LocalSandboxAdmission(IOptions<LocalSandboxOptions> options, IOptions<LivePreviewOptions> common) : ISandboxAdmission
{
    public void EnsureRoomForOneMore()
    {
        var disk = new WorkspaceDisk(options.Value);
        disk.EnsureFreeSpace(options.Value.ResolveRoot(common.Value));
        disk.EnsureFreeSpace(Path.GetFullPath(common.Value.ResolveDataDirectory()));
    }
}
