using LivePreview.Hosting;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Local;

/// <summary>Settings of the local (bubblewrap + overlayfs + network namespace) sandbox provider, section <c>LivePreview:Sandboxes:Local</c>.</summary>
public sealed class LocalSandboxOptions
{
    public const string Section = "LivePreview:Sandboxes:Local";

    /// <summary>
    /// Folder holding one sub-folder per sandbox (overlay upper/work/merged and <c>sandbox.json</c>).
    /// Null means <c>{LivePreview:DataDirectory}/sandboxes</c>. It must be on a file system overlayfs
    /// accepts as an upper layer (ext4, xfs, tmpfs) and must not contain ',', ':' or '\'.
    /// </summary>
    public string? Root { get; set; }

    /// <summary>
    /// First two octets of the private range sandboxes are addressed from. Sandbox number i is
    /// <c>{prefix}.0.0 + 4i + 2</c> (a /32 on its end of the veth; the host end is unnumbered); the host reaches every
    /// sandbox from <c>{prefix}.255.253</c> on <c>lo</c> (<see cref="SandboxSubnet"/>).
    /// </summary>
    public string SubnetPrefix { get; set; } = "10.213";

    /// <summary>User id the sandbox's processes run as inside its user namespace (<see cref="HostUid"/> is mapped to it).</summary>
    public int SandboxUid { get; set; } = 1000;

    /// <summary>Group id the sandbox's processes run as inside its user namespace.</summary>
    public int SandboxGid { get; set; } = 1000;

    /// <summary>
    /// Host user id every sandbox process runs as (bubblewrap is started as this user, so the sandbox's
    /// user namespace maps its user to it). Never 0, never a host account with a login shell and never
    /// inside a subordinate range of /etc/subuid (whoever holds the range could act as it): it owns the
    /// workspaces' files and the snapshots, nothing else. The default sits above the range of login
    /// accounts (UID_MAX 60000) and just below where adduser starts subordinate ranges (100000).
    /// </summary>
    public int HostUid { get; set; } = 99999;

    /// <summary>Host group id of sandbox processes; the sandbox folders are searchable by this group only (besides root).</summary>
    public int HostGid { get; set; } = 99999;

    /// <summary>
    /// Load the seccomp filter into every sandbox process (keyctl, bpf, mount, unshare, io_uring, … refused).
    /// Needs libseccomp (<c>libseccomp.so.2</c>); without it no sandbox starts unless this is set to false,
    /// which is logged as a warning at start-up.
    /// </summary>
    public bool Seccomp { get; set; } = true;

    /// <summary>util-linux <c>setpriv</c>, which drops from root to <see cref="HostUid"/> before bubblewrap starts. Absolute, like <see cref="BubblewrapPath"/>.</summary>
    public string SetprivPath { get; set; } = "/usr/bin/setpriv";

    /// <summary>Memory limit of all processes of one sandbox together, in MiB (cgroup v1 or v2 <c>memory</c>; no swap on top); 0 means no limit.</summary>
    public int MemoryLimitMb { get; set; } = 2048;

    /// <summary>Most processes and threads one sandbox may hold at once (cgroup v1 or v2 <c>pids</c>); 0 means no limit.</summary>
    public int PidsLimit { get; set; } = 1024;

    /// <summary>CPUs all processes of one sandbox may use together, e.g. 1.5 (cgroup CFS quota per 100 ms period); 0 means no limit.</summary>
    public double CpuLimit { get; set; } = 1.0;

    /// <summary>
    /// Size of a sandbox's writable layer in MiB: its changes live on an ext4 image of this size
    /// (sparse, loop-mounted), so a full disk inside a sandbox is its own. 0 means no limit (the
    /// changes go to the data directory's disk directly). Existing sandboxes keep the size they were made with.
    /// </summary>
    public int DiskLimitMb { get; set; } = 2048;

    /// <summary>
    /// Free space the sandboxes' disk must keep: creating a sandbox is refused (507) below it. The
    /// images are sparse, so this reserve is what keeps the database's disk usable while sandboxes fill theirs.
    /// </summary>
    public int MinFreeDiskMb { get; set; } = 1024;

    /// <summary>The e2fsprogs <c>mkfs.ext4</c> binary, looked up on the service's PATH when not absolute.</summary>
    public string MkfsPath { get; set; } = "mkfs.ext4";

    /// <summary>The util-linux <c>mount</c> binary (it finds a free loop device and sets it to detach itself at unmount).</summary>
    public string MountPath { get; set; } = "mount";

    /// <summary>The bubblewrap binary. Absolute, because <c>ip netns exec</c> runs it with an empty environment.</summary>
    public string BubblewrapPath { get; set; } = "/usr/bin/bwrap";

    /// <summary>The iproute2 <c>ip</c> binary, looked up on the service's PATH when not absolute.</summary>
    public string IpPath { get; set; } = "ip";

    /// <summary>
    /// <c>On</c> (default): sandboxes start only behind the nftables firewall that drops connections they
    /// open towards the host; no <c>nft</c>, or rules nft refuses, means no sandbox starts. <c>Off</c> runs
    /// without it (reported as a warning at start-up). <c>true</c>/<c>false</c> are accepted too.
    /// </summary>
    public FirewallMode Firewall { get; set; } = FirewallMode.On;

    /// <summary>How often the loaded firewall rules are compared with what nft lists, and restored if something flushed or changed them.</summary>
    public TimeSpan FirewallVerifyInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Name of the nftables table (family <c>inet</c>). Internal: tests on a shared machine use their own.</summary>
    public string FirewallTable { get; set; } = "livepreview";

    /// <summary>The nftables <c>nft</c> binary.</summary>
    public string NftPath { get; set; } = "nft";

    /// <summary>Output lines buffered per long-running process; when nobody reads them fast enough the oldest are dropped rather than blocking the process.</summary>
    public int OutputBufferLines { get; set; } = 2000;

    /// <summary>Most output kept from one <c>RunCommandAsync</c> (the tail is kept, earlier output is dropped).</summary>
    public int CommandOutputLimitBytes { get; set; } = 1024 * 1024;

    /// <summary>How long killing a process tree may take before it is reported as stuck.</summary>
    public TimeSpan KillTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Longest an <c>ip</c> call may run while a sandbox's network is set up or torn down.</summary>
    public TimeSpan HostCommandTimeout { get; set; } = TimeSpan.FromSeconds(15);

    public string ResolveRoot(LivePreviewOptions common) =>
        Path.GetFullPath(Root ?? Path.Join(common.ResolveDataDirectory(), "sandboxes"));
}

/// <summary>Whether sandboxes run behind the host firewall; <c>True</c>/<c>False</c> keep the old boolean setting working.</summary>
public enum FirewallMode
{
    Off = 0,
    On = 1,

    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    False = Off,

    [System.ComponentModel.EditorBrowsable(System.ComponentModel.EditorBrowsableState.Never)]
    True = On,
}

internal sealed class LocalSandboxOptionsValidator : IValidateOptions<LocalSandboxOptions>
{
    public ValidateOptionsResult Validate(string? name, LocalSandboxOptions options)
    {
        var errors = new List<string>();
        if (options.Root is { } root && OverlayOptions.HasForbiddenCharacter(root))
        {
            errors.Add($"{LocalSandboxOptions.Section}:Root must not contain ',', ':' or '\\' (overlay mount options cannot carry them).");
        }
        if (!SandboxSubnet.IsValidPrefix(options.SubnetPrefix))
        {
            errors.Add($"{LocalSandboxOptions.Section}:SubnetPrefix must be two octets such as '10.213'.");
        }
        if (options.SandboxUid <= 0 || options.SandboxGid <= 0)
        {
            errors.Add($"{LocalSandboxOptions.Section}:SandboxUid and SandboxGid must be positive: sandboxes never run as root.");
        }
        errors.AddRange(SandboxOwnership.ValidateHostIds(options.HostUid, options.HostGid));
        if (options.MemoryLimitMb < 0 || options.PidsLimit < 0)
        {
            errors.Add($"{LocalSandboxOptions.Section}:MemoryLimitMb and PidsLimit must be 0 (no limit) or positive.");
        }
        if (!(options.CpuLimit >= 0) || double.IsInfinity(options.CpuLimit))
        {
            errors.Add($"{LocalSandboxOptions.Section}:CpuLimit must be 0 (no limit) or a positive number of CPUs such as 1.5.");
        }
        if (options.DiskLimitMb is < 0 or (> 0 and < 16) || options.MinFreeDiskMb < 0)
        {
            errors.Add($"{LocalSandboxOptions.Section}:DiskLimitMb must be 0 (no limit) or at least 16, and MinFreeDiskMb 0 or positive.");
        }
        if (options.OutputBufferLines <= 0 || options.CommandOutputLimitBytes <= 0)
        {
            errors.Add($"{LocalSandboxOptions.Section}:OutputBufferLines and CommandOutputLimitBytes must be positive.");
        }
        if (options.FirewallVerifyInterval <= TimeSpan.Zero || !Enum.IsDefined(options.Firewall)
            || options.FirewallTable.Length is 0 or > 32 || !options.FirewallTable.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            errors.Add($"{LocalSandboxOptions.Section}:Firewall must be On or Off, FirewallVerifyInterval positive, FirewallTable 1–32 of [a-z0-9_].");
        }
        if (options.KillTimeout <= TimeSpan.Zero || options.HostCommandTimeout <= TimeSpan.Zero)
        {
            errors.Add($"{LocalSandboxOptions.Section}:KillTimeout and HostCommandTimeout must be positive.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
