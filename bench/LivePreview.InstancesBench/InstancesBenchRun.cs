using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using LivePreview.Instances;
using LivePreview.Tests.Support;

namespace LivePreview.InstancesBench;

internal static class InstancesBenchRun
{
    private const string AssetPath = "bench-asset.js";

    /// <summary>The first instance's sandbox address range and firewall table, from the environment as in the tests; the second gets the next range and table.</summary>
    private static string SubnetPrefix => Environment.GetEnvironmentVariable("LivePreview__Sandboxes__Local__SubnetPrefix") ?? "10.213";

    private static string FirewallTable => Environment.GetEnvironmentVariable("LivePreview__Sandboxes__Local__FirewallTable") ?? "livepreview";

    public static async Task<string> RunAsync(InstancesBenchOptions options, CancellationToken cancellationToken)
    {
        var loadAtStart = LoadAverage();
        var started = Stopwatch.GetTimestamp();
        var shared = Directory.CreateTempSubdirectory("livepreview-instancesbench-").FullName;
        var adminKey = "lpk_bench_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var secret = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        RedisServer? redis = null;
        PostgresServer? postgres = null;
        var hosts = new List<LivePreviewHost>();
        try
        {
            redis = await RedisServer.StartAsync();
            Dictionary<string, string?> database = [];
            if (options.Postgres)
            {
                postgres = await PostgresServer.StartAsync();
                database["LivePreview:Database:Provider"] = "PostgreSQL";
                database["ConnectionStrings:LivePreview"] = await postgres.CreateDatabaseAsync("lpbench");
            }
            else
            {
                database["LivePreview:Database:ConnectionString"] = $"Data Source={Path.Join(shared, "livepreview.db")}";
            }
            // One after the other: the first makes the database and the bootstrap key, the second finds them.
            for (var i = 0; i < 2; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hosts.Add(await LivePreviewHost.StartAsync(new Dictionary<string, string?>(database)
                {
                    ["ConnectionStrings:Redis"] = redis.ConnectionString,
                    ["LivePreview:Auth:BootstrapKey"] = adminKey,
                    ["LivePreview:Instances:Id"] = $"bench-{i}",
                    ["LivePreview:Instances:Secret"] = secret,
                    ["LivePreview:Instances:HeartbeatInterval"] = "00:00:01",
                    ["LivePreview:Instances:LostAfter"] = "00:00:10",
                    ["LivePreview:Sandboxes:Local:SubnetPrefix"] = i == 0 ? SubnetPrefix : NextPrefix(SubnetPrefix),
                    ["LivePreview:Sandboxes:Local:FirewallTable"] = i == 0 ? FirewallTable : FirewallTable + "2",
                    // One user makes every request.
                    ["LivePreview:RateLimits:Enabled"] = "false",
                }));
            }
            foreach (var host in hosts)
            {
                await WaitForLiveInstancesAsync(host, 2, cancellationToken);
            }

            Console.WriteLine("Creating a react-vite sandbox ...");
            var id = (await hosts[0].CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
            var ownerId = await hosts[0].Service<InstanceDirectory>().InstanceOfAsync(id, cancellationToken)
                ?? throw new InvalidOperationException($"Sandbox {id} is on no instance.");
            var owner = ownerId == "bench-0" ? hosts[0] : ownerId == "bench-1" ? hosts[1] : throw new InvalidOperationException($"Sandbox {id} is on {ownerId}.");
            var other = hosts.Single(h => h != owner);
            await owner.WaitForPreviewAsync(id);

            // A small file in public/: Vite serves it as it is (no transform), so the figure is the request path, not a compile.
            var asset = new string('x', options.AssetBytes - 1) + "\n";
            using (var put = await owner.Http.PutAsync($"api/v1/sandboxes/{id}/files/public/{AssetPath}", new StringContent(asset), cancellationToken))
            {
                put.EnsureSuccessStatusCode();
            }

            using var throughOwner = PreviewClient(owner);
            using var throughOther = PreviewClient(other);
            var ownerUrl = new Uri($"http://5173-{id}.preview.localhost:{owner.Port}/{AssetPath}");
            var otherUrl = new Uri($"http://5173-{id}.preview.localhost:{other.Port}/{AssetPath}");
            await WaitForAssetAsync(throughOwner, ownerUrl, options.AssetBytes, cancellationToken);

            Console.WriteLine($"Sandbox {id} on {ownerId}; warm-up ...");
            await MeasureAsync(throughOwner, ownerUrl, options.WarmUp, options.AssetBytes, [], cancellationToken);
            await MeasureAsync(throughOther, otherUrl, options.WarmUp, options.AssetBytes, [], cancellationToken);

            var ownerMs = new List<double>(options.Requests);
            var otherMs = new List<double>(options.Requests);
            for (var round = 0; round < options.Rounds; round++)
            {
                var count = (options.Requests / options.Rounds) + (round < options.Requests % options.Rounds ? 1 : 0);
                // ABBA: neither path always goes first after the other one.
                if (round % 2 == 0)
                {
                    await MeasureAsync(throughOwner, ownerUrl, count, options.AssetBytes, ownerMs, cancellationToken);
                    await MeasureAsync(throughOther, otherUrl, count, options.AssetBytes, otherMs, cancellationToken);
                }
                else
                {
                    await MeasureAsync(throughOther, otherUrl, count, options.AssetBytes, otherMs, cancellationToken);
                    await MeasureAsync(throughOwner, ownerUrl, count, options.AssetBytes, ownerMs, cancellationToken);
                }
            }
            return Format(options, ownerId, owner == hosts[0] ? "bench-1" : "bench-0", ownerMs, otherMs, loadAtStart, LoadAverage(), Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            // The other first (it holds nothing), then the owner, which deletes the sandbox (processes, mounts, namespace).
            for (var i = hosts.Count - 1; i >= 0; i--)
            {
                await hosts[i].DisposeAsync();
            }
            if (redis is not null)
            {
                await redis.DisposeAsync();
            }
            if (postgres is not null)
            {
                await postgres.DisposeAsync();
            }
            Directory.Delete(shared, recursive: true);
        }
    }

    /// <summary>One client per path (keep-alive: one connection reused), as the admin: a preview is private, the key opens it.</summary>
    private static HttpClient PreviewClient(LivePreviewHost host)
    {
        var client = host.CreateLoopbackClient(useCookies: false);
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", host.AdminKey);
        return client;
    }

    /// <summary>Sequential GETs, each timed from the send to the last byte of the body; every answer must be the asset.</summary>
    private static async Task MeasureAsync(HttpClient client, Uri url, int count, int expectedBytes, List<double> samples, CancellationToken cancellationToken)
    {
        for (var i = 0; i < count; i++)
        {
            var start = Stopwatch.GetTimestamp();
            using var response = await client.GetAsync(url, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (response.StatusCode != HttpStatusCode.OK || body.Length != expectedBytes)
            {
                throw new InvalidOperationException($"{url.Authority}: {(int)response.StatusCode}, {body.Length} bytes (expected 200 and {expectedBytes}).");
            }
            samples.Add(elapsed);
        }
    }

    /// <summary>Vite picks up a new public/ file through its watcher: wait until it serves it.</summary>
    private static async Task WaitForAssetAsync(HttpClient client, Uri url, int expectedBytes, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            using (var response = await client.GetAsync(url, cancellationToken))
            {
                if (response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsByteArrayAsync(cancellationToken)).Length == expectedBytes)
                {
                    return;
                }
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"{url} still answers {(int)response.StatusCode} after 60 s.");
                }
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    private static async Task WaitForLiveInstancesAsync(LivePreviewHost host, int count, CancellationToken cancellationToken)
    {
        var registry = host.Service<InstanceRegistry>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while ((await registry.LiveAsync(cancellationToken)).Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Fewer than {count} live instances after 60 s.");
            }
            await Task.Delay(200, cancellationToken);
        }
    }

    private static string Format(InstancesBenchOptions options, string ownerId, string otherId, List<double> owner, List<double> other, string loadAtStart, string loadAtEnd, TimeSpan whole)
    {
        string Row(string path, List<double> ms) => Invariant(
            $"| {path} | {ms.Count} | {Percentile(ms, 0.5):F2} ms | {Percentile(ms, 0.9):F2} ms | **{Percentile(ms, 0.99):F2} ms** | {ms.Max():F2} ms | {ms.Average():F2} ms |");
        return new StringBuilder()
            .AppendLine("## Preview request latency: through the owner vs through the other instance")
            .AppendLine()
            .AppendLine(Invariant($"- {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; every figure below is from this run; {Environment.ProcessorCount} cores, .NET {Environment.Version}"))
            .AppendLine($"- two instances in this process (LivePreviewHost: Kestrel on 127.0.0.1), sharing {(options.Postgres ? "one PostgreSQL database (a server on 127.0.0.1 started by the bench)" : "one SQLite file")} and a real redis-server, one instance secret; the other forwards to the owner over HTTP on 127.0.0.1 (YARP, signed)")
            .AppendLine(Invariant($"- one react-vite sandbox on `{ownerId}` (the owner), `{otherId}` forwards; a {options.AssetBytes:N0}-byte file in `public/` fetched with the preview Host header, sequentially, one keep-alive HttpClient per path, {options.WarmUp} warm-up requests per path, then {options.Requests} per path in {options.Rounds} alternating rounds (owner first in even rounds, other first in odd ones); timed from the send to the body's last byte"))
            .AppendLine(Invariant($"- load average (1/5/15 min) at start {loadAtStart}, at end {loadAtEnd}; whole run {whole.TotalSeconds:F0} s"))
            .AppendLine()
            .AppendLine("| path | requests | p50 | p90 | p99 | max | mean |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|")
            .AppendLine(Row($"through the owner (`{ownerId}`)", owner))
            .AppendLine(Row($"through the other instance (`{otherId}` → `{ownerId}`)", other))
            .AppendLine(Invariant($"| **other / owner** | | **{Percentile(other, 0.5) / Percentile(owner, 0.5):F2}×** | {Percentile(other, 0.9) / Percentile(owner, 0.9):F2}× | **{Percentile(other, 0.99) / Percentile(owner, 0.99):F2}×** | | {other.Average() / owner.Average():F2}× |"))
            .AppendLine($"| other − owner | | {Signed(Percentile(other, 0.5) - Percentile(owner, 0.5))} | {Signed(Percentile(other, 0.9) - Percentile(owner, 0.9))} | {Signed(Percentile(other, 0.99) - Percentile(owner, 0.99))} | | {Signed(other.Average() - owner.Average())} |")
            .ToString();
    }

    /// <summary>Linear interpolation between closest ranks (numpy's default), as the core bench.</summary>
    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        var position = (sorted.Length - 1) * p;
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + ((sorted[upper] - sorted[lower]) * (position - lower));
    }

    private static string Signed(double ms) => (ms >= 0 ? "+" : "−") + Math.Abs(ms).ToString("F2", CultureInfo.InvariantCulture) + " ms";

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join('/', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    /// <summary>"10.177" → "10.178".</summary>
    private static string NextPrefix(string prefix) =>
        "10." + (int.Parse(prefix.Split('.')[1], CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
