using System.Diagnostics;
using System.Runtime.InteropServices;
using LivePreview.Tests.Support;

namespace LivePreview.CorpusBench;

/// <summary>
/// The corpus <see cref="CorpusBenchOptions.Rounds"/> times. Each round is a fresh service (a fresh data folder, so an
/// empty dependency-layers folder); per app, a cold sandbox (its layer is installed from the registry) and then a warm
/// one of the same repository (the layer is there), each deleted when measured. The service and its sandboxes are
/// cleaned up after every round, also after a failure or Ctrl+C.
/// </summary>
internal static class CorpusBenchRun
{
    public static async Task<int> RunAsync(CorpusBenchOptions options, CancellationToken ct)
    {
        var total = Stopwatch.StartNew();
        var load = LoadAverage();
        var attempts = new List<Attempt>();
        var exitCode = 0;
        await using var git = await GitHttpServer.StartAsync();
        foreach (var app in options.Apps)
        {
            git.AddRepositoryFrom(app.SourceDirectory, app.Name);
        }
        try
        {
            for (var round = 1; round <= options.Rounds; round++)
            {
                await RoundAsync(git, options, round, attempts, total, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled; cleaned up");
            exitCode = 130;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"benchmark failed: {ex}");
            exitCode = 1;
        }
        var facts = Facts(options, load, total.Elapsed);
        var markdown = CorpusReport.Render(exitCode == 0 ? "LivePreview corpus time to preview" : "LivePreview corpus time to preview (INCOMPLETE)", facts, options.Apps, attempts);
        Console.WriteLine();
        Console.WriteLine(markdown);
        if (exitCode == 0)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(options.Output)!);
            await File.WriteAllTextAsync(options.Output, markdown, CancellationToken.None);
            Console.WriteLine($"written to {options.Output}");
        }
        return exitCode;
    }

    private static async Task RoundAsync(GitHttpServer git, CorpusBenchOptions options, int round, List<Attempt> attempts, Stopwatch total, CancellationToken ct)
    {
        var start = Stopwatch.StartNew();
        var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:LivePreview"] = "Warning",
            ["LivePreview:Git:AllowedRemotes:0"] = git.BaseUrl.ToString(),
            // One user makes every sandbox of a run: the per-user rate limits would measure themselves.
            ["LivePreview:RateLimits:Enabled"] = "false",
        });
        Console.WriteLine($"  [{total.Elapsed:mm\\:ss}] round {round}: service started in {start.Elapsed.TotalSeconds:0.0} s");
        try
        {
            foreach (var app in options.Apps)
            {
                foreach (var warm in new[] { false, true })
                {
                    var attempt = await PreviewAttempt.RunAsync(host, app, git.UrlOf(app.Name), warm, options.AttemptTimeout, ct);
                    attempts.Add(attempt);
                    Console.WriteLine(attempt.Ok
                        ? $"  [{total.Elapsed:mm\\:ss}] round {round} {app.Name} {(warm ? "warm" : "cold")}: ready {Stats.Ms(attempt.ReadyMs)}, first 200 {Stats.Ms(attempt.FirstPageMs)}{(warm && !attempt.Reused ? " (layer NOT reused)" : "")}"
                        : $"  [{total.Elapsed:mm\\:ss}] round {round} {app.Name} {(warm ? "warm" : "cold")}: FAILED {attempt.Error}");
                }
            }
        }
        finally
        {
            var stop = Stopwatch.StartNew();
            await host.DisposeAsync();
            Console.WriteLine($"  [{total.Elapsed:mm\\:ss}] round {round}: service stopped and cleaned up in {stop.Elapsed.TotalSeconds:0.0} s");
        }
    }

    private static List<string> Facts(CorpusBenchOptions options, string load, TimeSpan elapsed)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        return
        [
            $"{DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC, {options.Rounds} round(s) of {options.Apps.Count} app(s); every figure below is from this run",
            $"{Environment.ProcessorCount} cores ({cpu}), {RuntimeInformation.FrameworkDescription}",
            "service in-process on 127.0.0.1 (LivePreviewHost), local sandboxes (overlayfs + netns + bubblewrap); repositories over git's smart HTTP on 127.0.0.1 (git http-backend); installs from the public npm registry through the service's egress proxy, with an empty npm cache each time (the cache lives in the build sandbox's private /tmp)",
            "cold = a fresh service whose dependency-layers folder is empty (clone, detect, install, dev server); warm = a second sandbox of the same repository on the same service (clone, detect, layer reused, dev server); one sandbox at a time, deleted when measured",
            $"load average (1/5/15 min) at start {load}, at end {LoadAverage()}; whole run {elapsed.TotalSeconds:0} s",
        ];
    }

    private static string LoadAverage()
    {
        var parts = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"{parts[0]}/{parts[1]}/{parts[2]}";
    }
}
