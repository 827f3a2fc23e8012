using System.Diagnostics;
using LivePreview.Events;
using LivePreview.Hosting;
using LivePreview.Sandboxes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace LivePreview.EventsBench;

internal static class EventsBenchRun
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static async Task<string> RunAsync(EventsBenchOptions options)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("livepreview-eventsbench-").FullName;
        var key = "lpk_bench_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var app = LivePreviewApp.Build(
        [
            $"--LivePreview:Auth:BootstrapKey={key}",
            "--urls=http://127.0.0.1:0",
            $"--LivePreview:DataDirectory={dataDirectory}",
            $"--LivePreview:TemplatesDirectory={Path.Combine(RepositoryRoot, "templates")}",
            $"--LivePreview:Snapshots:Root={Path.Combine(dataDirectory, "snapshots")}",
            "--LivePreview:WarmPool:Size=0",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        try
        {
            var port = new Uri(app.Urls.First()).Port;
            return await MeasureAsync(app.Services.GetRequiredService<IEventBus>(), port, key, options);
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
            Directory.Delete(dataDirectory, recursive: true);
        }
    }

    private static async Task<string> MeasureAsync(IEventBus bus, int port, string key, EventsBenchOptions options)
    {
        var sandboxes = Enumerable.Range(0, options.Clients).Select(_ => SandboxId.New()).ToArray();
        var filtered = await Task.WhenAll(sandboxes.Select(s => StreamClient.ConnectAsync(port, key, $"sandbox_id={s}")));
        var unfiltered = await StreamClient.ConnectAsync(port, key, "");
        StreamClient[] all = [.. filtered, unfiltered];
        using var stop = new CancellationTokenSource();
        var reading = all.Select(c => Task.Run(() => c.ReadAsync(stop.Token))).ToArray();
        try
        {
            // Warm-up: one unmeasured event per sandbox, which also proves every client is subscribed.
            await PublishAsync(bus, sandboxes, sandboxes.Length, 1, measured: false);
            await WaitForAsync(() => filtered.All(c => c.Received >= 1), TimeSpan.FromSeconds(60));

            var started = Stopwatch.GetTimestamp();
            await PublishAsync(bus, sandboxes, options.Events, options.Publishers, measured: true);
            var published = Stopwatch.GetElapsedTime(started);
            var expected = sandboxes.Length + options.Events;
            await WaitForAsync(() => all.Sum(c => c.Received) >= 2 * expected || all.Any(c => c.CloseStatus is not null), TimeSpan.FromSeconds(120));
            var delivered = Stopwatch.GetElapsedTime(started, all.Max(c => c.LastReceivedAt));
            return EventsReport.Format(options, published, delivered, filtered, unfiltered);
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(reading);
            foreach (var client in all)
            {
                client.Dispose();
            }
        }
    }

    /// <summary>Round-robin over the sandboxes from <paramref name="publishers"/> concurrent loops sharing one counter.</summary>
    private static async Task PublishAsync(IEventBus bus, string[] sandboxes, int count, int publishers, bool measured)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                var payload = new { sent_at = Stopwatch.GetTimestamp(), measured, i };
                await bus.PublishAsync(new EventDraft(EventTypes.FileChanged, EntityTypes.File, $"src/file{i}.ts", sandboxes[i % sandboxes.Length], payload));
            }
        })));
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("Clients did not receive the events in time.");
            }
            await Task.Delay(10);
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LivePreview.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("LivePreview.slnx not found above the bench binaries.");
    }
}
