using System.Globalization;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// The bubblewrap command line of a sandbox process. The sandbox sees a fresh root holding only
/// /usr (read-only), a handful of /etc files, private /proc, /dev and /tmp, and its workspace at
/// /app — never the host's /root, /work, the data directory or another sandbox. It keeps the
/// network namespace it is started in (<c>ip netns exec lp-{id}</c>).
/// </summary>
internal static class BubblewrapArguments
{
    public const string WorkspaceMount = "/app";

    private static readonly string[] RootLinks = ["bin", "sbin", "lib", "lib32", "lib64", "libx32"];

    /// <summary>Host /etc entries bound read-only when present. Not /etc/ssl/private: host root owns it, and host root is the sandbox user.</summary>
    private static readonly string[] HostEtc =
        ["resolv.conf", "localtime", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "ssl/certs", "ssl/openssl.cnf", "ca-certificates"];

    public static List<string> Build(LocalSandboxOptions options, SandboxLayout layout, string etcFolder, SandboxProcessSpec spec, bool blockOnStdin)
    {
        var arguments = new List<string>
        {
            // Everything private except the network, which is the sandbox's own namespace already.
            "--unshare-all", "--share-net", "--unshare-user",
            // SIGKILL the sandbox when the service dies; setsid so it cannot push input to a terminal (TIOCSTI).
            "--die-with-parent", "--new-session",
            "--uid", Number(options.SandboxUid), "--gid", Number(options.SandboxGid), "--cap-drop", "ALL",
            "--hostname", "sandbox", "--clearenv",
            "--ro-bind", "/usr", "/usr",
        };
        AddRootLinks(arguments);
        foreach (var name in SandboxEtc.FileNames)
        {
            arguments.AddRange(["--ro-bind", Path.Join(etcFolder, name), $"/etc/{name}"]);
        }
        foreach (var name in HostEtc)
        {
            arguments.AddRange(["--ro-bind-try", $"/etc/{name}", $"/etc/{name}"]);
        }
        arguments.AddRange(["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]);
        arguments.AddRange(["--bind", layout.Merged, WorkspaceMount, "--chdir", WorkingDirectory(spec)]);
        AddEnvironment(arguments, spec.Environment);
        if (blockOnStdin)
        {
            // Hold the command until the launcher has put the sandbox into its cgroups (see LocalSandboxProvider.Processes).
            arguments.AddRange(["--block-fd", "0"]);
        }
        arguments.Add("--");
        arguments.AddRange(spec.Command);
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

    private static void AddEnvironment(List<string> arguments, IReadOnlyDictionary<string, string>? extra)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal)
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
