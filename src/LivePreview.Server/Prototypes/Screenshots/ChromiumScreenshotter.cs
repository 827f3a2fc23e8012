using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace LivePreview.Prototypes.Screenshots;

/// <summary>
/// One screenshot of a preview with headless Chromium's <c>--screenshot</c>. The page is a hostile website, so
/// Chromium runs as an unprivileged host user (setpriv, no capabilities, no groups) with its own sandbox on, in a
/// new PID namespace (killing the launcher kills every process it started, however it forked), with a fresh
/// profile deleted afterwards, a cleared environment, a hard timeout, host names other than the preview's resolving
/// to nothing (IP literals included), its picture read back bounded, and one capture at a time. See docs/SECURITY.md,
/// "Checkpoint screenshots".
/// </summary>
public sealed partial class ChromiumScreenshotter(IOptions<ScreenshotOptions> options, ILogger<ChromiumScreenshotter> logger)
{
    private const string UnsharePath = "/usr/bin/unshare";
    private const string SetprivPath = "/usr/bin/setpriv";
    private const int MaxLogChars = 2000;
    // Process-wide: every capture runs as the same user, and the clean-up ends all of its processes.
    private static readonly SemaphoreSlim One = new(1, 1);

    /// <summary>Held while a capture runs (and cleans up): holding it, no process of Chromium's user exists.</summary>
    internal static SemaphoreSlim CaptureGate => One;

    /// <summary>Why screenshots cannot be taken here; null when they can.</summary>
    public string? Unavailable()
    {
        var o = options.Value;
        return !o.Enabled ? $"screenshots are off ({ScreenshotOptions.Section}:Enabled)"
            : o.ResolveChromium() is not { } chromium || !File.Exists(chromium) ? $"no Chromium (install it or set {ScreenshotOptions.Section}:ChromiumPath)"
            : !Environment.IsPrivilegedProcess ? $"the service is not root, so it cannot run Chromium as the unprivileged user {o.RunAsUid}"
            : !File.Exists(UnsharePath) || !File.Exists(SetprivPath) ? "util-linux's unshare and setpriv are needed"
            : null;
    }

    /// <summary>The PNG of <paramref name="url"/> (which must carry its own short-lived grant); a failure says why.</summary>
    public async Task<ScreenshotResult> CaptureAsync(Uri url, CancellationToken ct)
    {
        if (Unavailable() is { } reason)
        {
            return ScreenshotResult.Failed(reason);
        }
        if (!PlainHost().IsMatch(url.IdnHost) || url.Scheme is not ("http" or "https"))
        {
            return ScreenshotResult.Failed($"the preview address '{url.GetLeftPart(UriPartial.Authority)}' is not a plain http(s) host name");
        }
        await One.WaitAsync(ct);
        var scratch = Scratch.Create(options.Value.RunAsUid, options.Value.RunAsGid);
        try
        {
            return await RunAsync(url, scratch, ct);
        }
        finally
        {
            await EndUserProcessesAsync(options.Value.RunAsUid);
            scratch.Delete();
            One.Release();
        }
    }

    /// <summary>
    /// The PID namespace dies with its first process, but the kernel reaps the rest a moment later: wait until no
    /// process of Chromium's (dedicated) user is left, killing any still there, so the next capture and the scratch
    /// folder's removal never meet one. Only one capture runs at a time, so every such process is this capture's.
    /// </summary>
    private static async Task EndUserProcessesAsync(int uid)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var left = ProcessesOf(uid);
            if (left.Count == 0)
            {
                return;
            }
            foreach (var pid in left)
            {
                _ = kill(pid, 9);
            }
            await Task.Delay(50);
        }
    }

    private static List<int> ProcessesOf(int uid)
    {
        var pids = new List<int>();
        foreach (var entry in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(entry), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && RealUid(entry) == uid)
            {
                pids.Add(pid);
            }
        }
        return pids;
    }

    private static int? RealUid(string proc)
    {
        try
        {
            var line = File.ReadLines(Path.Join(proc, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            var fields = line?.Split('\t', StringSplitOptions.RemoveEmptyEntries);
            return fields is { Length: > 1 } && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var uid) ? uid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    private async Task<ScreenshotResult> RunAsync(Uri url, Scratch scratch, CancellationToken ct)
    {
        var o = options.Value;
        using var process = new Process { StartInfo = StartInfo(url, scratch, o) };
        var log = new StringBuilder();
        process.Start();
        var reading = Task.WhenAll(DrainAsync(process.StandardOutput, log), DrainAsync(process.StandardError, log));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(o.Timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            ct.ThrowIfCancellationRequested();
            return ScreenshotResult.Failed($"Chromium did not finish within {o.Timeout.TotalSeconds:0} s ({ScreenshotOptions.Section}:Timeout) and was killed");
        }
        Kill(process);
        await reading;
        if (process.ExitCode != 0)
        {
            LogChromiumFailed(logger, process.ExitCode, Tail(log));
            return ScreenshotResult.Failed($"Chromium exited with {process.ExitCode}");
        }
        return Read(scratch.Shot, o);
    }

    private static ProcessStartInfo StartInfo(Uri url, Scratch scratch, ScreenshotOptions o)
    {
        var info = new ProcessStartInfo(UnsharePath)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false, WorkingDirectory = scratch.Profile,
        };
        info.Environment.Clear();
        foreach (var (key, value) in new[] { ("PATH", "/usr/bin:/bin"), ("HOME", scratch.Profile), ("TMPDIR", scratch.Profile), ("XDG_CONFIG_HOME", scratch.Profile), ("XDG_CACHE_HOME", scratch.Profile), ("LANG", "C.UTF-8") })
        {
            info.Environment[key] = value;
        }
        string[] launcher =
        [
            "--pid", "--fork", "--kill-child", "--",
            SetprivPath, $"--reuid={Number(o.RunAsUid)}", $"--regid={Number(o.RunAsGid)}", "--clear-groups", "--inh-caps=-all", "--no-new-privs", "--",
            o.ResolveChromium()!,
        ];
        foreach (var arg in launcher.Concat(ChromiumArguments(url, scratch, o)))
        {
            info.ArgumentList.Add(arg);
        }
        return info;
    }

    /// <summary>No <c>--no-sandbox</c>: as an unprivileged user Chromium's own (user-namespace) sandbox works and stays on.</summary>
    private static IEnumerable<string> ChromiumArguments(Uri url, Scratch scratch, ScreenshotOptions o) =>
    [
        "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-breakpad", "--disable-dev-shm-usage",
        "--disable-client-side-phishing-detection", "--deny-permission-prompts", "--mute-audio", "--hide-scrollbars", "--no-proxy-server",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp", "--force-device-scale-factor=1",
        // Every name but the preview's resolves to nothing; the rule applies to IP literals too, so the page reaches
        // neither host loopback services nor the network, only the preview through our proxy.
        $"--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE {url.IdnHost}",
        $"--user-data-dir={scratch.Profile}",
        $"--window-size={Number(o.Width)},{Number(o.Height)}",
        $"--virtual-time-budget={Number((int)o.PageBudget.TotalMilliseconds)}",
        $"--screenshot={scratch.Shot}",
        url.AbsoluteUri,
    ];

    private static ScreenshotResult Read(string path, ScreenshotOptions o)
    {
        // The file's name sits in a root-owned folder, so Chromium's user could write into it but not swap it for a link.
        var info = new FileInfo(path);
        if (!info.Exists || info.LinkTarget is not null || info.Length == 0)
        {
            return ScreenshotResult.Failed("Chromium wrote no screenshot");
        }
        if (info.Length > o.MaxBytes)
        {
            return ScreenshotResult.Failed($"the screenshot is {info.Length} bytes, above {ScreenshotOptions.Section}:MaxBytes ({o.MaxBytes})");
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
        var buffer = new byte[o.MaxBytes + 1];
        var length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        if (length > o.MaxBytes)
        {
            return ScreenshotResult.Failed($"the screenshot is above {ScreenshotOptions.Section}:MaxBytes ({o.MaxBytes})");
        }
        var png = buffer.AsSpan(0, length).ToArray();
        return PngHeader.TryRead(png, out var width, out var height)
            ? new ScreenshotResult(png, width, height, null)
            : ScreenshotResult.Failed("Chromium's output is not a PNG");
    }

    private static async Task DrainAsync(StreamReader reader, StringBuilder log)
    {
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer)) > 0)
        {
            lock (log)
            {
                log.Append(buffer, 0, read);
                if (log.Length > MaxLogChars * 2)
                {
                    log.Remove(0, log.Length - MaxLogChars);
                }
            }
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    private static string Tail(StringBuilder log)
    {
        lock (log)
        {
            var text = log.ToString();
            return text.Length <= MaxLogChars ? text : text[^MaxLogChars..];
        }
    }

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")]
    private static partial Regex PlainHost();

    [LoggerMessage(EventId = 2301, Level = LogLevel.Warning, Message = "Chromium exited with {ExitCode} taking a checkpoint screenshot; its output: {Output}")]
    private static partial void LogChromiumFailed(ILogger logger, int exitCode, string output);

    /// <summary>
    /// A root-owned folder (0711) holding the profile (Chromium's user's, 0700) and the screenshot file, made empty
    /// beforehand and owned by Chromium's user: Chromium writes into it but cannot put a link or a FIFO in its place.
    /// </summary>
    private sealed partial class Scratch
    {
        public required string Root { get; init; }
        public string Profile => Path.Join(Root, "profile");
        public string Shot => Path.Join(Root, "shot.png");

        public static Scratch Create(int uid, int gid)
        {
            if (OperatingSystem.IsWindows())
            {
                throw new PlatformNotSupportedException("Screenshots need Linux.");
            }
            var scratch = new Scratch { Root = System.IO.Directory.CreateTempSubdirectory("livepreview-shot-").FullName };
            File.SetUnixFileMode(scratch.Root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            System.IO.Directory.CreateDirectory(scratch.Profile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.WriteAllBytes(scratch.Shot, []);
            File.SetUnixFileMode(scratch.Shot, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Chown(scratch.Profile, uid, gid);
            Chown(scratch.Shot, uid, gid);
            return scratch;
        }

        /// <summary>Chromium's user is gone by now (its PID namespace died with the launcher); recursive delete removes links, never follows them.</summary>
        public void Delete()
        {
            try
            {
                System.IO.Directory.Delete(Root, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        private static void Chown(string path, int uid, int gid)
        {
            if (lchown(path, uid, gid) != 0)
            {
                throw new IOException($"Could not hand '{path}' to uid {uid}: errno {Marshal.GetLastPInvokeError()}.");
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int lchown([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int owner, int group);
    }
}

/// <param name="Png">The PNG's bytes; null when it failed (see <paramref name="Error"/>).</param>
public sealed record ScreenshotResult(byte[]? Png, int Width, int Height, string? Error)
{
    public static ScreenshotResult Failed(string error) => new(null, 0, 0, error);
}

/// <summary>The size a PNG states in its IHDR chunk (the first one, right after the signature).</summary>
public static class PngHeader
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static bool TryRead(ReadOnlySpan<byte> png, out int width, out int height)
    {
        width = height = 0;
        if (png.Length < 24 || !png[..8].SequenceEqual(Signature) || !png[12..16].SequenceEqual("IHDR"u8))
        {
            return false;
        }
        width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png[16..20]);
        height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png[20..24]);
        return width > 0 && height > 0;
    }
}
