using System.Runtime.InteropServices;
using System.Text.Json;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using LivePreview.Tests.Sandboxes.Local;

namespace LivePreview.Tests.Containment;

/// <summary>
/// Code inside a sandbox acting as an attacker would — from inside, through the provider's own
/// RunCommandAsync — against the identity and system-call boundary: it is an unprivileged host user
/// with no capability, cannot make user namespaces, is refused the kernel interfaces of the seccomp
/// filter, and can name nothing of the host outside /app that it could write or read.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostileProcessTests : IAsyncLifetime
{
    private readonly LocalSandboxHarness _harness = new("10.241");

    private int HostUid => _harness.Options.HostUid;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _harness.DisposeAsync().AsTask();

    [Fact]
    public async Task A_sandbox_cannot_make_a_user_namespace_with_or_without_the_seccomp_filter()
    {
        var id = await _harness.CreateAsync();
        var filtered = await _harness.RunAsync(id, "sh", "-c", "unshare -Ur true; echo \"Ur=$?\"; unshare -rn true; echo \"rn=$?\"");

        _harness.Options.Seccomp = false;
        await _harness.RestartAsync();
        var unfiltered = await _harness.RunAsync(id, "sh", "-c", "unshare -Ur true; echo \"Ur=$?\"");

        Assert.Contains("Ur=1", filtered.Output);
        Assert.Contains("rn=1", filtered.Output);
        Assert.Contains("Operation not permitted", filtered.Output);
        // Without the filter bubblewrap's --disable-userns still holds: the namespace limit inside is 0.
        Assert.Contains("Ur=1", unfiltered.Output);
        Assert.Contains("No space left on device", unfiltered.Output);
    }

    [Fact]
    public async Task Kernel_interfaces_of_the_seccomp_filter_are_refused_with_eperm()
    {
        var id = await _harness.CreateAsync();
        var calls = Syscalls.Refused;

        var result = await PerlSyscallsAsync(id, calls);

        var errors = ParseErrors(result.Output);
        foreach (var (name, _, _) in calls)
        {
            Assert.True(errors.TryGetValue(name, out var errno), $"{name} did not report: {result.Output}");
            Assert.True(errno == 1, $"{name} gave errno {errno}, not EPERM");
        }
    }

    [Fact]
    public async Task Clone3_reports_enosys_so_programs_fall_back_to_clone_and_clone_into_a_namespace_is_refused()
    {
        var id = await _harness.CreateAsync();

        var result = await PerlSyscallsAsync(id, [("clone3", Syscalls.Clone3, [0, 0]), ("clone_newuser", Syscalls.Clone, [0x10000000 | 17, 0, 0, 0, 0]), ("clone_newnet", Syscalls.Clone, [0x40000000 | 17, 0, 0, 0, 0])]);
        // Ordinary forks still work (node, npm and sh all fork).
        var fork = await _harness.NodeAsync(id, "console.log(require('child_process').execFileSync('sh', ['-c', 'echo forked']).toString().trim())");

        var errors = ParseErrors(result.Output);
        Assert.Equal(38, errors["clone3"]);
        Assert.Equal(1, errors["clone_newuser"]);
        Assert.Equal(1, errors["clone_newnet"]);
        Assert.Equal("forked", fork.Output.Trim());
    }

    [Fact]
    public async Task Without_the_filter_the_same_probe_reaches_the_kernel()
    {
        // The control for the EPERM test above: the probe itself is able to tell a refusal from a call that went through.
        _harness.Options.Seccomp = false;
        await _harness.RestartAsync();
        var id = await _harness.CreateAsync();

        var result = await PerlSyscallsAsync(id, [("keyctl", Syscalls.Keyctl, [0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 1]), ("personality", Syscalls.Personality, [0xffffffff])]);

        var errors = ParseErrors(result.Output);
        Assert.Equal(0, errors["keyctl"]);
        Assert.Equal(0, errors["personality"]);
    }

    [Fact]
    public async Task Sandbox_processes_are_the_unprivileged_host_user_with_no_capability()
    {
        var id = await _harness.CreateAsync();
        var marker = $"sleep 1000.{Random.Shared.Next(10000, 99999)}";
        await using var sleeper = await _harness.Provider.StartProcessAsync(id, new SandboxProcessSpec(["sh", "-c", $"exec {marker}"]), LocalSandboxHarness.Timeout);
        var pids = new List<int>();
        for (var i = 0; i < 500 && (pids = LocalSandboxHarness.HostProcessesWith(marker)).Count == 0; i++)
        {
            await Task.Delay(10);
        }

        var inside = await _harness.RunAsync(id, "sh", "-c", "grep -E '^(Uid|Gid|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status; echo map $(cat /proc/self/uid_map)");

        var host = Fields(File.ReadAllText($"/proc/{Assert.Single(pids)}/status"));
        var launcher = Fields(File.ReadAllText($"/proc/{sleeper.ProcessId}/status"));
        foreach (var status in new[] { host, launcher })
        {
            Assert.Equal(Enumerable.Repeat(HostUid.ToString(), 4), status["Uid"].Split('\t', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal(Enumerable.Repeat(_harness.Options.HostGid.ToString(), 4), status["Gid"].Split('\t', StringSplitOptions.RemoveEmptyEntries));
            Assert.Equal("", status.GetValueOrDefault("Groups", ""));
        }
        Assert.Equal("0000000000000000", host["CapEff"]);
        var seen = Fields(inside.Output);
        foreach (var set in new[] { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" })
        {
            Assert.Equal("0000000000000000", seen[set]);
        }
        Assert.Equal("1", seen["NoNewPrivs"]);
        Assert.Equal("2", seen["Seccomp"]);
        // Seen from the host, the sandbox user is the host user and nothing else is mapped. (Inside, uid_map reads
        // "1000 0 1": --disable-userns nests the sandbox in a second namespace whose 0 is, again, the host user.)
        Assert.Equal(["1000", HostUid.ToString(), "1"], File.ReadAllText($"/proc/{pids[0]}/uid_map").Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        var map = inside.Output.Split('\n').Single(l => l.StartsWith("map ", StringComparison.Ordinal)).Split(' ');
        Assert.Equal(["1000", "1"], new[] { map[1], map[3] });
    }

    [Fact]
    public async Task Files_made_inside_or_by_the_service_belong_to_the_host_user_never_to_host_root()
    {
        var id = await _harness.CreateAsync();
        await _harness.Provider.Files(id).WriteAsync("from-service/deep/file.txt", new MemoryStream("service"u8.ToArray()), LocalSandboxHarness.Timeout);

        var made = await _harness.RunAsync(id, "sh", "-c", "echo inside > made-inside.txt && echo more >> server.js && mkdir -p src/nested && echo x > src/nested/f && echo edit >> from-service/deep/file.txt");

        Assert.Equal(0, made.ExitCode);
        var upper = new SandboxLayout(_harness.Root, id).Upper;
        foreach (var path in new[] { "made-inside.txt", "server.js", "src", "src/nested", "src/nested/f", "from-service", "from-service/deep", "from-service/deep/file.txt" })
        {
            Assert.Equal(HostUid, SandboxOwnership.OwnerOf(Path.Join(upper, path)));
        }
        Assert.Equal(HostUid, SandboxOwnership.OwnerOf(upper));
        Assert.Equal(HostUid, SandboxOwnership.OwnerOf(Path.Join(_harness.Snapshot, "server.js")));
        Assert.Equal(0, SandboxOwnership.OwnerOf(Path.Join(_harness.Root, id)));
    }

    [Fact]
    public async Task A_host_root_only_file_the_sandbox_can_name_cannot_be_read()
    {
        // /usr is the host's own, bound read-only: a root-only file there is what host root owns that the sandbox can name.
        var secret = Path.Join("/usr/local/share", $"lp-test-secret-{Guid.NewGuid():N}");
        File.WriteAllText(secret, "root only");
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            var id = await _harness.CreateAsync();

            var result = await _harness.RunAsync(id, "sh", "-c", $"cat {secret}; echo \"cat=$?\"; test -e /etc/shadow; echo \"shadow=$?\"");

            Assert.DoesNotContain("root only", result.Output);
            Assert.Contains("Permission denied", result.Output);
            Assert.Contains("cat=1", result.Output);
            Assert.Contains("shadow=1", result.Output);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public async Task Every_path_outside_app_it_can_name_is_absent_or_read_only()
    {
        var id = await _harness.CreateAsync();
        var other = await _harness.CreateAsync();
        string[] absent = ["/root", "/work", "/sys", "/sys/fs/cgroup", "/etc/shadow", "/run", _harness.Directory, _harness.Root, Path.Join(_harness.Root, other), WorkspaceBind.PathFor(_harness.Root, other), WorkspaceBind.DefaultParent, "/var",
            HomeBind.PathFor(_harness.Root, other)];
        // /home holds the sandbox's own HOME only (/home/sandbox, writable like /app); /home itself is read-only.
        string[] readOnly = ["/home", "/usr", "/usr/bin", "/usr/local", "/etc", "/etc/passwd", "/etc/hosts", "/proc/sys/kernel", "/proc/sys/kernel/hostname", "/", "/bin"];
        string[] eitherWay = ["/proc/sysrq-trigger", "/proc/kcore", "/dev/mem", "/proc/1/root/usr"];
        var script = $$"""
            const fs = require('fs');
            const out = {};
            for (const p of {{JsonSerializer.Serialize(absent.Concat(readOnly).Concat(eitherWay))}}) {
              if (!fs.existsSync(p)) { out[p] = 'absent'; continue; }
              let writable = false;
              try {
                if (fs.statSync(p).isDirectory()) { const f = p.replace(/\/$/, '') + '/lp-probe'; fs.writeFileSync(f, 'x'); fs.unlinkSync(f); }
                else { fs.appendFileSync(p, ''); fs.writeFileSync(p, fs.readFileSync(p)); }
                writable = true;
              } catch (e) { out[p] = 'refused ' + e.code; }
              if (writable) out[p] = 'WRITABLE';
            }
            console.log(JSON.stringify(out));
            """;

        var result = await _harness.NodeAsync(id, script);

        var seen = JsonSerializer.Deserialize<Dictionary<string, string>>(result.Output)!;
        foreach (var path in absent)
        {
            Assert.True(seen[path] == "absent", $"{path}: {seen[path]}");
        }
        foreach (var path in readOnly)
        {
            Assert.True(seen[path].StartsWith("refused ", StringComparison.Ordinal), $"{path}: {seen[path]}");
        }
        foreach (var path in eitherWay)
        {
            Assert.True(seen[path] == "absent" || seen[path].StartsWith("refused ", StringComparison.Ordinal), $"{path}: {seen[path]}");
        }
    }

    [Fact]
    public async Task Proc_shows_nothing_of_the_host()
    {
        var id = await _harness.CreateAsync();

        var result = await _harness.RunAsync(id, "sh", "-c",
            "echo '--mountinfo'; cat /proc/self/mountinfo; echo '--cmdlines'; for f in /proc/[0-9]*/cmdline; do tr '\\0' ' ' < $f; echo; done; " +
            "echo '--environ'; tr '\\0' '\\n' < /proc/1/environ; echo '--pids'; ls -d /proc/[0-9]*; echo '--fds'; ls /proc/self/fd; echo '--stdin'; readlink /proc/self/fd/0; cat; echo '--end'");

        var sections = Sections(result.Output);
        // Not even the overlay's options: its layers were given to the kernel as /proc/self/fd/N.
        Assert.DoesNotContain(sections["mountinfo"], l => l.Contains(_harness.Directory, StringComparison.Ordinal));
        Assert.Contains(sections["mountinfo"], l => l.Split(' ')[4] == "/app" && l.Contains("lowerdir=/proc/self/fd/", StringComparison.Ordinal));
        Assert.DoesNotContain(sections["mountinfo"], l => l.Contains("/root", StringComparison.Ordinal) || l.Contains("/work", StringComparison.Ordinal) || l.Contains(WorkspaceBind.DefaultParent, StringComparison.Ordinal));
        Assert.DoesNotContain(sections["cmdlines"], l => l.Contains(_harness.Directory, StringComparison.Ordinal) || l.Contains("--ro-bind", StringComparison.Ordinal));
        Assert.DoesNotContain(sections["environ"], l => l.Length > 0);
        // Its own pid namespace: bubblewrap's init, the shell, and what the shell ran.
        Assert.All(sections["pids"], p => Assert.True(int.Parse(p["/proc/".Length..]) < 100, p));
        // No descriptor of the service: stdin, stdout, stderr and the listing's own directory (3); not the go pipe
        // bwrap waited on, nor a memfd. stdin is a pipe already at EOF (the service closed its end): cat reads nothing.
        Assert.Equal(["0", "1", "2", "3"], sections["fds"].Where(l => l.Length > 0).Order());
        Assert.Equal("pipe:", Assert.Single(sections["stdin"], l => l.Length > 0)[..5]);
    }

    private Task<SandboxCommandResult> PerlSyscallsAsync(string id, IEnumerable<(string Name, long Number, long[] Arguments)> calls)
    {
        var list = string.Join(",", calls.Select(c => $"['{c.Name}',{c.Number},{string.Join(",", c.Arguments)}]"));
        var script = $"for my $c ({list}) {{ my ($n, $nr, @a) = @$c; $! = 0; my $r = syscall($nr, @a); printf(\"%s %d\\n\", $n, $r < 0 ? $! + 0 : 0); }}";
        return _harness.RunAsync(id, "perl", "-e", script);
    }

    private static Dictionary<string, int> ParseErrors(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ')).Where(f => f.Length == 2 && int.TryParse(f[1], out _))
            .ToDictionary(f => f[0], f => int.Parse(f[1]));

    private static Dictionary<string, string> Fields(string status) =>
        status.Split('\n').Select(l => l.Split(':', 2)).Where(f => f.Length == 2).GroupBy(f => f[0]).ToDictionary(g => g.Key, g => g.First()[1].Trim());

    private static Dictionary<string, List<string>> Sections(string output)
    {
        var sections = new Dictionary<string, List<string>>();
        List<string>? current = null;
        foreach (var line in output.Split('\n'))
        {
            if (line.StartsWith("--", StringComparison.Ordinal) && !line.Contains(' '))
            {
                current = sections[line[2..]] = [];
            }
            else
            {
                current?.Add(line);
            }
        }
        return sections;
    }

    /// <summary>System call numbers, which differ between x86-64 and arm64.</summary>
    private static class Syscalls
    {
        private static readonly bool Arm = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

        public static long Keyctl => Arm ? 219 : 250;
        public static long Personality => Arm ? 92 : 135;
        public static long Clone => Arm ? 220 : 56;
        public static long Clone3 => 435;

        /// <summary>Each with harmless arguments: unfiltered, most would succeed or fail with another errno than EPERM.</summary>
        public static (string Name, long Number, long[] Arguments)[] Refused =>
        [
            ("keyctl", Keyctl, [0, -3, 1]),
            ("add_key", Arm ? 217 : 248, [0, 0, 0, 0, 0]),
            ("request_key", Arm ? 218 : 249, [0, 0, 0, 0]),
            ("bpf", Arm ? 280 : 321, [0, 0, 0]),
            ("perf_event_open", Arm ? 241 : 298, [0, 0, -1, -1, 0]),
            ("userfaultfd", Arm ? 282 : 323, [1 /* UFFD_USER_MODE_ONLY */]),
            ("io_uring_setup", 425, [1, 0]),
            ("mount", Arm ? 40 : 165, [0, 0, 0, 0, 0]),
            ("umount2", Arm ? 39 : 166, [0, 0]),
            ("pivot_root", Arm ? 41 : 155, [0, 0]),
            ("open_tree", 428, [-100, 0, 0]),
            ("fsopen", 430, [0, 0]),
            ("mount_setattr", 442, [-100, 0, 0, 0, 0]),
            ("unshare", Arm ? 97 : 272, [0]),
            ("setns", Arm ? 268 : 308, [-1, 0]),
            ("init_module", Arm ? 105 : 175, [0, 0, 0]),
            ("finit_module", Arm ? 273 : 313, [-1, 0, 0]),
            ("kexec_load", Arm ? 104 : 246, [0, 0, 0, 0]),
            ("open_by_handle_at", Arm ? 265 : 304, [-1, 0, 0]),
            ("name_to_handle_at", Arm ? 264 : 303, [-100, 0, 0, 0, 0]),
            ("ptrace", Arm ? 117 : 101, [0 /* PTRACE_TRACEME */, 0, 0, 0]),
            ("process_vm_readv", Arm ? 270 : 310, [1, 0, 0, 0, 0, 0]),
            ("pidfd_getfd", 438, [-1, 0, 0]),
            ("acct", Arm ? 89 : 163, [0]),
            ("swapoff", Arm ? 225 : 168, [0]),
            ("syslog", Arm ? 116 : 103, [3 /* SYSLOG_ACTION_READ_ALL */, 0, 0]),
            ("clock_settime", Arm ? 112 : 227, [0, 0]),
            ("adjtimex", Arm ? 171 : 159, [0]),
            ("personality", Personality, [0x0040000 /* ADDR_NO_RANDOMIZE */]),
        ];
    }
}
