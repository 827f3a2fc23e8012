using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// The seccomp filter of sandbox processes, in the spirit of Docker's and containerd's default
/// profiles but as a deny list (everything else is allowed): the kernel interfaces a dev server never
/// needs and local-root exploits keep using — keyrings, eBPF, userfaultfd, perf, io_uring, mounts and
/// new namespaces, module and kexec loading, ptrace, clock and swap control. Built once per service
/// start with libseccomp (no hand-assembled BPF) and handed to bubblewrap (<c>--seccomp FD</c>), which
/// loads it right before it execs the command, so its own mount setup is unaffected. Refused calls
/// fail with EPERM; clone3 fails with ENOSYS so glibc falls back to clone, whose namespace flags are
/// refused by an argument filter. System calls of another ABI (i386 via int 0x80, x32) kill the
/// process: libseccomp's default for a foreign architecture.
/// </summary>
internal static class SeccompFilter
{
    private const string Library = "libseccomp.so.2";
    private const uint ActAllow = 0x7fff0000;
    private const int EPERM = 1, ENOSYS = 38;
    private const int CmpMaskedEq = 7;

    /// <summary>clone's namespace flags (not CLONE_NEWTIME, 0x80: in clone's flags that bit is part of the exit signal).</summary>
    private static readonly ulong[] CloneNamespaceFlags =
        [0x00020000 /* NEWNS */, 0x02000000 /* NEWCGROUP */, 0x04000000 /* NEWUTS */, 0x08000000 /* NEWIPC */,
         0x10000000 /* NEWUSER */, 0x20000000 /* NEWPID */, 0x40000000 /* NEWNET */];

    /// <summary>
    /// personality(2) bits that weaken the address space (no ASLR, page zero mapped, readable implies
    /// executable, legacy layouts). PER_LINUX, PER_LINUX32 and UNAME26 stay allowed; the 0xffffffff
    /// query is refused too (it has every bit set), which no dev-server tool uses.
    /// </summary>
    private static readonly ulong[] PersonalityFlags =
        [0x0040000 /* ADDR_NO_RANDOMIZE */, 0x0100000 /* MMAP_PAGE_ZERO */, 0x0200000 /* ADDR_COMPAT_LAYOUT */,
         0x0400000 /* READ_IMPLIES_EXEC */, 0x0800000 /* ADDR_LIMIT_32BIT */, 0x8000000 /* ADDR_LIMIT_3GB */];

    /// <summary>Refused outright with EPERM. Names this architecture does not have are skipped by libseccomp.</summary>
    public static IReadOnlyList<string> Refused { get; } =
    [
        // Keyrings, eBPF, userfaultfd, perf: the usual local-root surfaces, not namespaced.
        "keyctl", "add_key", "request_key", "bpf", "userfaultfd", "perf_event_open",
        // io_uring (Docker refuses it too; libuv falls back to its thread pool).
        "io_uring_setup", "io_uring_enter", "io_uring_register",
        // Mounts and namespaces: bubblewrap made the sandbox's; nothing inside makes more.
        "mount", "umount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
        "unshare", "setns",
        // The kernel itself: modules, kexec, reboot, accounting, swap, quotas, kernel log.
        "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module", "create_module", "get_kernel_syms", "query_module",
        "reboot", "acct", "swapon", "swapoff", "quotactl", "quotactl_fd", "syslog", "lookup_dcookie", "nfsservctl", "uselib", "_sysctl",
        "vhangup", "fanotify_init",
        // Clocks are global.
        "settimeofday", "stime", "clock_settime", "clock_settime64", "clock_adjtime", "clock_adjtime64", "adjtimex",
        // File handles bypass path permissions (the "shocker" escape).
        "open_by_handle_at", "name_to_handle_at",
        // I/O ports and vm86.
        "iopl", "ioperm", "vm86", "vm86old",
        // Reading and writing other processes: no debugger runs in a sandbox.
        "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd", "process_madvise",
    ];

    /// <summary>The filter as classic BPF (what bubblewrap's <c>--seccomp</c> reads).</summary>
    /// <exception cref="InvalidOperationException">libseccomp is missing or refused a rule; the message says which.</exception>
    public static byte[] Build()
    {
        IntPtr context;
        try
        {
            context = SeccompInit(ActAllow);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new InvalidOperationException(
                $"libseccomp ({Library}) could not be loaded, so sandboxes would run without their seccomp filter: install it (apt-get install libseccomp2), " +
                $"or set {LocalSandboxOptions.Section}:Seccomp=false to run sandboxes without it.", e);
        }
        if (context == IntPtr.Zero)
        {
            throw new InvalidOperationException("seccomp_init failed.");
        }
        try
        {
            foreach (var name in Refused)
            {
                Add(context, Errno(EPERM), name, []);
            }
            Add(context, Errno(ENOSYS), "clone3", []);
            foreach (var flag in CloneNamespaceFlags)
            {
                Add(context, Errno(EPERM), "clone", [new ArgumentCompare { Argument = 0, Operator = CmpMaskedEq, DatumA = flag, DatumB = flag }]);
            }
            foreach (var flag in PersonalityFlags)
            {
                Add(context, Errno(EPERM), "personality", [new ArgumentCompare { Argument = 0, Operator = CmpMaskedEq, DatumA = flag, DatumB = flag }]);
            }
            return Export(context);
        }
        finally
        {
            SeccompRelease(context);
        }
    }

    private static uint Errno(int errno) => 0x00050000u | (uint)(errno & 0xffff);

    private static void Add(IntPtr context, uint action, string name, ArgumentCompare[] arguments)
    {
        var number = SeccompSyscallResolveName(name);
        if (number == -1)
        {
            // Unknown to this libseccomp (older than the call): nothing to refuse by that name.
            return;
        }
        var result = SeccompRuleAddArray(context, action, number, (uint)arguments.Length, arguments);
        if (result < 0 && number >= 0)
        {
            throw new InvalidOperationException($"libseccomp refused the rule for '{name}' (error {-result}).");
        }
    }

    private static byte[] Export(IntPtr context)
    {
        using var memory = new SafeFileHandle(InheritedFiles.MemfdCreate("lp-seccomp-export", 1 /* MFD_CLOEXEC */), ownsHandle: true);
        if (memory.IsInvalid)
        {
            throw LibC.Error("Creating", "the seccomp export buffer", LibC.LastError);
        }
        var result = SeccompExportBpf(context, (int)memory.DangerousGetHandle());
        if (result < 0)
        {
            throw new InvalidOperationException($"seccomp_export_bpf failed (error {-result}).");
        }
        using var stream = new FileStream(memory, FileAccess.Read, bufferSize: 0);
        var buffer = new MemoryStream();
        stream.Position = 0;
        stream.CopyTo(buffer);
        return buffer.Length > 0 ? buffer.ToArray() : throw new InvalidOperationException("seccomp_export_bpf wrote an empty filter.");
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct ArgumentCompare
    {
        public uint Argument;
        public int Operator;
        public ulong DatumA;
        public ulong DatumB;
    }

    [DllImport(Library, EntryPoint = "seccomp_init")]
    private static extern IntPtr SeccompInit(uint defaultAction);

    [DllImport(Library, EntryPoint = "seccomp_release")]
    private static extern void SeccompRelease(IntPtr context);

    [DllImport(Library, EntryPoint = "seccomp_syscall_resolve_name")]
    private static extern int SeccompSyscallResolveName(string name);

    [DllImport(Library, EntryPoint = "seccomp_rule_add_array")]
    private static extern int SeccompRuleAddArray(IntPtr context, uint action, int syscall, uint argumentCount, [In] ArgumentCompare[] arguments);

    [DllImport(Library, EntryPoint = "seccomp_export_bpf")]
    private static extern int SeccompExportBpf(IntPtr context, int fd);
}
