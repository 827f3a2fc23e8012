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
        var scratch = ScreenshotScratch.Create(options.Value.RunAsUid, options.Value.RunAsGid);
        try
        {
            return await RunAsync(url, scratch, ct);
        }
        finally
        {
            await UserProcesses.EndAllAsync(options.Value.RunAsUid);
            scratch.Delete();
            One.Release();
        }
    }

    private async Task<ScreenshotResult> RunAsync(Uri url, ScreenshotScratch scratch, CancellationToken ct)
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

    private static ProcessStartInfo StartInfo(Uri url, ScreenshotScratch scratch, ScreenshotOptions o)
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
    private static IEnumerable<string> ChromiumArguments(Uri url, ScreenshotScratch scratch, ScreenshotOptions o) =>
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
}
