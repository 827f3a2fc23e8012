using LivePreview.Hosting;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Local;

/// <summary>The local provider's part of the containment report: memory, swap, pids and cpu (cgroups) and disk (loop-mounted images).</summary>
internal sealed class LocalContainmentProbe(IOptions<LocalSandboxOptions> options) : IContainmentProbe
{
    public IEnumerable<ContainmentEntry> Probe() =>
        [.. new CgroupLimits(options.Value).Report(), new WorkspaceDisk(options.Value).Report()];
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
