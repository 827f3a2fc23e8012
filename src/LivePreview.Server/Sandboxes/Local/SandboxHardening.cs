using System.Diagnostics;
using System.Text.RegularExpressions;
using LivePreview.Hosting;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// What must hold before any sandbox process starts, checked once when the provider is made: bubblewrap
/// new enough to disable nested user namespaces (0.8), setpriv present, the seccomp filter built
/// (unless turned off, which is a warning). Every failure is kept and reported by
/// <see cref="ThrowIfUnusable"/> — sandboxes then do not start (fail closed), with the reason.
/// </summary>
internal sealed partial class SandboxHardening
{
    private static readonly Version MinimumBubblewrap = new(0, 8);
    private readonly List<string> _problems = [];
    private readonly string _root;
    private readonly SandboxOwner _owner;
    private readonly List<ContainmentEntry> _report = [];

    public SandboxHardening(LocalSandboxOptions options, string root, ILogger logger)
    {
        _root = root;
        _owner = SandboxOwner.From(options);
        if (!OperatingSystem.IsLinux())
        {
            _problems.Add("Local sandboxes need Linux.");
            return;
        }
        if (BubblewrapVersion(options.BubblewrapPath) is not { } version)
        {
            _problems.Add($"'{options.BubblewrapPath} --version' did not run; install bubblewrap 0.8 or newer (apt-get install bubblewrap) or set {LocalSandboxOptions.Section}:BubblewrapPath.");
        }
        else if (version < MinimumBubblewrap)
        {
            _problems.Add($"bubblewrap {version} is too old: 0.8 or newer is needed to disable user namespaces inside sandboxes (--disable-userns).");
        }
        else
        {
            _report.Add(ContainmentEntry.On("userns", $"nested user namespaces off (bubblewrap {version} --disable-userns; unshare/setns/clone refused by seccomp too)"));
        }
        if (!File.Exists(options.SetprivPath))
        {
            _problems.Add($"'{options.SetprivPath}' does not exist; install util-linux's setpriv or set {LocalSandboxOptions.Section}:SetprivPath.");
        }
        else
        {
            _report.Add(ContainmentEntry.On("sandbox-user", $"host uid {options.HostUid} / gid {options.HostGid} (setpriv before bubblewrap), no capabilities"));
        }
        if (options.Seccomp)
        {
            try
            {
                Filter = SeccompFilter.Build();
                _report.Add(ContainmentEntry.On("seccomp", "libseccomp filter in every sandbox process (keyctl, bpf, mount, unshare, io_uring, ptrace, … refused)"));
            }
            catch (InvalidOperationException e)
            {
                _problems.Add(e.Message);
            }
        }
        else
        {
            LocalSandboxLog.SeccompOff(logger);
            _report.Add(ContainmentEntry.Off("seccomp", $"{LocalSandboxOptions.Section}:Seccomp = false"));
        }
        foreach (var problem in _problems)
        {
            LocalSandboxLog.SandboxesUnusable(logger, problem);
        }
    }

    /// <summary>The seccomp filter as BPF; null when <see cref="LocalSandboxOptions.Seccomp"/> is false.</summary>
    public byte[]? Filter { get; }

    /// <summary>Why no sandbox can start on this host (empty when they can): for a health report.</summary>
    public IReadOnlyList<string> Problems => _problems;

    /// <summary>
    /// The containment report's entries for what this checked: each boundary that holds, and — when
    /// something is missing — one "sandboxes" entry that is not enforced, saying why none can start.
    /// </summary>
    public IEnumerable<ContainmentEntry> Report() =>
        _problems.Count == 0 ? _report : [.. _report, ContainmentEntry.Unavailable("sandboxes", "no sandbox can start: " + string.Join(" ", _problems))];

    public void ThrowIfUnusable()
    {
        var problems = new List<string>(_problems);
        if (SandboxOwnership.Unreachable(WorkspaceBind.FolderFor(_root), _owner) is { } unreachable)
        {
            problems.Add(unreachable);
        }
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Sandboxes cannot start: " + string.Join(" ", problems));
        }
    }

    private static Version? BubblewrapVersion(string path)
    {
        try
        {
            var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("--version");
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill();
                return null;
            }
            return VersionPattern().Match(output) is { Success: true } match ? Version.Parse(match.Groups[1].Value) : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"(\d+\.\d+(?:\.\d+)?)")]
    private static partial Regex VersionPattern();
}
