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

    /// <summary>The sandbox address range and firewall table of the first instance (the second gets the next range): from the environment, as in the tests.</summary>
    private static string SubnetPrefix => Environment.GetEnvironmentVariable("LivePreview__Sandboxes__Local__SubnetPrefix") ?? "10.213";

    private static string FirewallTable => Environment.GetEnvironmentVariable("LivePreview__Sandboxes__Local__FirewallTable") ?? "livepreview";

    public static async Task<EventsResult> RunAsync(EventsBenchOptions options, BenchConfiguration configuration, LivePreview.Tests.Support.PostgresServer? postgres, CancellationToken cancellationToken)
    {
        var shared = Directory.CreateTempSubdirectory("livepreview-eventsbench-").FullName;
        var key = "lpk_bench_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var secret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var database = configuration.Database == BenchDatabase.PostgreSql
            ? await (postgres ?? throw new InvalidOperationException("A PostgreSQL configuration needs the server.")).CreateDatabaseAsync("lpbench")
            : $"Data Source={Path.Combine(shared, "livepreview.db")}";
        await using var redis = configuration.Redis ? await LivePreview.Tests.Support.RedisServer.StartAsync() : null;
        var apps = new List<WebApplication>();
        try
        {
            for (var i = 0; i < configuration.Instances; i++)
            {
                var dataDirectory = Directory.CreateDirectory(Path.Combine(shared, $"instance-{i}")).FullName;
                List<string> args =
                [
                    $"--LivePreview:Auth:BootstrapKey={key}",
                    "--urls=http://127.0.0.1:0",
                    $"--LivePreview:DataDirectory={dataDirectory}",
                    $"--LivePreview:TemplatesDirectory={Path.Combine(RepositoryRoot, "templates")}",
                    $"--LivePreview:Snapshots:Root={Path.Combine(dataDirectory, "snapshots")}",
                    $"--LivePreview:Events:WriteBatchSize={configuration.WriteBatchSize}",
                    "--LivePreview:WarmPool:Size=0",
                    "--Logging:LogLevel:Default=Warning",
                    // EF logs as an error its look for the migrations table of a fresh PostgreSQL database, which it then creates.
                    "--Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command=Critical",
                    // Instances on one machine: each its own id, sandbox addresses and firewall table, one shared secret.
                    $"--LivePreview:Instances:Id=bench-{i}",
                    $"--LivePreview:Instances:Secret={secret}",
                    $"--LivePreview:Sandboxes:Local:SubnetPrefix={(i == 0 ? SubnetPrefix : NextPrefix(SubnetPrefix))}",
                    $"--LivePreview:Sandboxes:Local:FirewallTable={FirewallTable}{(i == 0 ? "" : "2")}",
                ];
                args.AddRange(configuration.Database == BenchDatabase.PostgreSql
                    ? ["--LivePreview:Database:Provider=PostgreSQL", $"--ConnectionStrings:LivePreview={database}"]
                    : [$"--LivePreview:Database:ConnectionString={database}"]);
                if (redis is not null)
                {
                    args.Add($"--ConnectionStrings:Redis={redis.ConnectionString}");
                }
                cancellationToken.ThrowIfCancellationRequested();
                var app = LivePreviewApp.Build([.. args]);
                apps.Add(app);
                await app.StartAsync(cancellationToken);
            }
            var ports = apps.Select(a => new Uri(a.Urls.First()).Port).ToArray();
            var buses = apps.Select(a => a.Services.GetRequiredService<IEventBus>()).ToArray();
            return await MeasureAsync(configuration, buses, ports, key, options, cancellationToken);
        }
        finally
        {
            foreach (var app in apps)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
            Directory.Delete(shared, recursive: true);
        }
    }

    /// <summary>Clients alternate over the instances (the unfiltered one on the last), publishers too: with two, half of every client's events come from the other instance.</summary>
    private static async Task<EventsResult> MeasureAsync(BenchConfiguration configuration, IEventBus[] buses, int[] ports, string key, EventsBenchOptions options, CancellationToken cancellationToken)
    {
        var sandboxes = Enumerable.Range(0, options.Clients).Select(_ => SandboxId.New()).ToArray();
        var filtered = await Task.WhenAll(sandboxes.Select((s, i) => StreamClient.ConnectAsync(ports[i % ports.Length], key, $"sandbox_id={s}")));
        var unfiltered = await StreamClient.ConnectAsync(ports[^1], key, "");
        StreamClient[] all = [.. filtered, unfiltered];
        using var stop = new CancellationTokenSource();
        var reading = all.Select(c => Task.Run(() => c.ReadAsync(stop.Token))).ToArray();
        try
        {
            // Warm-up: one unmeasured event per sandbox, which also proves every client is subscribed.
            await PublishAsync(buses, sandboxes, sandboxes.Length, options.Publishers, measured: false, cancellationToken);
            await WaitForAsync(() => filtered.All(c => c.Received >= 1), TimeSpan.FromSeconds(60), cancellationToken);

            var started = Stopwatch.GetTimestamp();
            await PublishAsync(buses, sandboxes, options.Events, options.Publishers, measured: true, cancellationToken);
            var published = Stopwatch.GetElapsedTime(started);
            var expected = sandboxes.Length + options.Events;
            await WaitForAsync(() => all.Sum(c => c.Received) >= 2 * expected || all.Any(c => c.CloseStatus is not null), TimeSpan.FromSeconds(120), cancellationToken);
            var delivered = Stopwatch.GetElapsedTime(started, all.Max(c => c.LastReceivedAt));
            return new EventsResult(configuration, published, delivered, filtered, unfiltered);
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

    /// <summary>Round-robin over the sandboxes from <paramref name="publishers"/> concurrent loops sharing one counter, spread over the buses.</summary>
    private static async Task PublishAsync(IEventBus[] buses, string[] sandboxes, int count, int publishers, bool measured, CancellationToken cancellationToken)
    {
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
        {
            var bus = buses[p % buses.Length];
            for (var i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var payload = new { sent_at = Stopwatch.GetTimestamp(), measured, i };
                await bus.PublishAsync(new EventDraft(EventTypes.FileChanged, EntityTypes.File, $"src/file{i}.ts", sandboxes[i % sandboxes.Length], payload));
            }
        })));
    }

    private static async Task WaitForAsync(Func<bool> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("Clients did not receive the events in time.");
            }
            await Task.Delay(10, cancellationToken);
        }
    }

    /// <summary>"10.177" → "10.178".</summary>
    internal static string NextPrefix(string prefix) =>
        "10." + (int.Parse(prefix.Split('.')[1], System.Globalization.CultureInfo.InvariantCulture) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);

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
