using System.Globalization;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// The bubblewrap command line of a sandbox process. The sandbox sees a fresh root holding only
/// /usr (read-only), a handful of /etc files, private /proc, /dev and /tmp, and its workspace at
/// /app — never the host's /root, /work, the data directory or another sandbox. It keeps the
/// network namespace it is started in (<c>ip netns exec lp-{id}</c>). bubblewrap runs as the
/// unprivileged host user (<see cref="LocalSandboxOptions.HostUid"/>, dropped to by setpriv), so its
/// user namespace maps the sandbox user to that host user; nested user namespaces are disabled and the
/// seccomp filter is loaded right before the command. The arguments travel in a descriptor
/// (<c>--args</c>), not on the command line: the sandbox's pid 1 is bubblewrap, and its
/// <c>/proc/1/cmdline</c> would otherwise show host paths to everything inside.
/// </summary>
internal static class BubblewrapArguments
{
    public const string WorkspaceMount = SandboxPaths.Workspace;

    /// <summary>coreutils' env (9.x: <c>--default-signal</c>), run on the host before setpriv.</summary>
    public const string EnvPath = "/usr/bin/env";

    private static readonly string[] RootLinks = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

    /// <summary>Host /etc entries bound read-only when present (not /etc/ssl/private: the sandbox has no business there).</summary>
    private static readonly string[] HostEtc =
        ["resolv.conf", "localtime", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "ssl/certs", "ssl/openssl.cnf", "ca-certificates"];

    /// <summary>
    /// The launcher's command line after <c>ip netns exec lp-{id}</c>: env resets every signal to its default (a signal
    /// the service was started with ignored — SIGINT and SIGQUIT for anything started with <c>&amp;</c> by a script — would
    /// otherwise be ignored by every sandbox process, and Ctrl-C in a terminal would do nothing), setpriv drops to the host
    /// user, then bubblewrap reads its options from a descriptor; only the command itself stays on the command line.
    /// </summary>
    public static List<string> Launcher(LocalSandboxOptions options, int optionsFd, SandboxProcessSpec spec) =>
    [
        EnvPath, "--default-signal", "--",
        options.SetprivPath, $"--reuid={Number(options.HostUid)}", $"--regid={Number(options.HostGid)}", "--clear-groups", "--inh-caps=-all", "--",
        options.BubblewrapPath, "--args", Number(optionsFd), "--", .. spec.Command,
    ];

    /// <summary>NUL-separated, as <c>--args</c> reads them.</summary>
    public static byte[] Encode(IEnumerable<string> arguments)
    {
        var buffer = new MemoryStream();
        foreach (var argument in arguments)
        {
            if (argument.Contains('\0'))
            {
                throw new ArgumentException("A sandbox argument contains a NUL character.", nameof(arguments));
            }
            var bytes = System.Text.Encoding.UTF8.GetBytes(argument);
            buffer.Write(bytes);
            buffer.WriteByte(0);
        }
        return buffer.ToArray();
    }

    /// <summary>The sandbox's options (everything but the command), its workspace bound from <paramref name="workspace"/> (see <see cref="WorkspaceBind"/>): <paramref name="files"/> receives the /etc files and the seccomp filter (null: none) as inherited descriptors.</summary>
    /// <param name="home">The sandbox's persistent HOME folder (<see cref="HomeBind"/>), bound at <see cref="SandboxPaths.Home"/>; null: none.</param>
    /// <param name="layers">Host folders bound read-only (host path, sandbox path): the agents' tools layer.</param>
    public static List<string> Build(LocalSandboxOptions options, string workspace, InheritedFiles files, byte[]? seccomp, SandboxProcessSpec spec, int? blockFd,
        string? home = null, IReadOnlyList<(string Host, string Sandbox)>? layers = null)
    {
        var arguments = new List<string>
        {
            // Everything private except the network, which is the sandbox's own namespace already;
            // no user namespaces inside (unshare -Ur would hand the sandbox CAP_NET_ADMIN and friends).
            "--unshare-all", "--share-net", "--unshare-user", "--disable-userns", "--assert-userns-disabled",
            // SIGKILL the sandbox when the service dies; setsid so it cannot push input to a terminal (TIOCSTI).
            "--die-with-parent", "--new-session",
            "--uid", Number(options.SandboxUid), "--gid", Number(options.SandboxGid), "--cap-drop", "ALL",
            "--hostname", "sandbox", "--clearenv",
            "--ro-bind", "/usr", "/usr",
        };
        AddRootLinks(arguments);
        // Copied in from memory, so no bind of a host file (whose host path /proc/self/mountinfo would show).
        foreach (var (name, content) in SandboxEtc.Contents(options.SandboxUid, options.SandboxGid))
        {
            arguments.AddRange(["--ro-bind-data", Number(files.Add($"lp-etc-{name}", System.Text.Encoding.UTF8.GetBytes(content))), $"/etc/{name}"]);
        }
        foreach (var name in HostEtc)
        {
            arguments.AddRange(["--ro-bind-try", $"/etc/{name}", $"/etc/{name}"]);
        }
        arguments.AddRange(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]);
        arguments.AddRange(["--bind", workspace, WorkspaceMount]);
        if (home is not null)
        {
            arguments.AddRange(["--bind", home, SandboxPaths.Home]);
        }
        foreach (var (host, sandbox) in layers ?? [])
        {
            // Read-only and shared by every sandbox: nothing in one sandbox can change what another one runs.
            arguments.AddRange(["--ro-bind", host, sandbox]);
        }
        arguments.AddRange(["--chdir", WorkingDirectory(spec)]);
        // The root bubblewrap built (its /etc folder included) becomes read-only: /app and /tmp are the only places to write.
        arguments.AddRange(["--remount-ro", "/"]);
        AddEnvironment(arguments, spec.Environment, spec.ExactEnvironment);
        if (blockFd is { } fd)
        {
            // Hold the command until the launcher has put the sandbox into its cgroups (see LocalSandboxProvider.Processes);
            // a descriptor of its own, not stdin, so the command's stdin reaches it untouched. bwrap closes it after the byte.
            arguments.AddRange(["--block-fd", Number(fd)]);
        }
        if (seccomp is not null)
        {
            arguments.AddRange(["--seccomp", Number(files.Add("lp-seccomp", seccomp))]);
        }
        return arguments;
    }

    private static void AddRootLinks(List<string> arguments)
    {
        foreach (var name in RootLinks)
        {
            var host = new DirectoryInfo($"/{name}");
            if (host.LinkTarget is { } target)
            {
                arguments.AddRange(["--symlink", target, $"/{name}"]);
            }
            else if (host.Exists)
            {
                arguments.AddRange(["--ro-bind", host.FullName, host.FullName]);
            }
        }
    }

    private static void AddEnvironment(List<string> arguments, IReadOnlyDictionary<string, string>? extra, bool exact)
    {
        var environment = exact ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["HOME"] = "/tmp",
            ["USER"] = "sandbox",
            ["LANG"] = "C.UTF-8",
        };
        foreach (var (name, value) in extra ?? new Dictionary<string, string>())
        {
            if (name.Length == 0 || name.Contains('=') || name.Contains('\0') || value.Contains('\0'))
            {
                throw new ArgumentException($"'{name}' is not a valid environment variable name.", nameof(extra));
            }
            environment[name] = value;
        }
        foreach (var (name, value) in environment)
        {
            arguments.AddRange(["--setenv", name, value]);
        }
    }

    private static string WorkingDirectory(SandboxProcessSpec spec)
    {
        var relative = RelativePath.Normalize(spec.WorkingDirectory ?? "");
        return relative.Length == 0 ? WorkspaceMount : $"{WorkspaceMount}/{relative}";
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);
}
