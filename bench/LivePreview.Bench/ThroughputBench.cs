using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using LivePreview.Tests.Support;

namespace LivePreview.Bench;

/// <summary>
/// Requests per second for a 50 KiB static file from Vite's public/ folder, through the proxy
/// (Host = the preview host, connected to 127.0.0.1) and directly (the sandbox's IP), with the same
/// in-process HttpClient load generator: N loops, each sending its next request when the last one's
/// body is read in full. Phases alternate proxy/direct so drift in the machine's load hits both.
/// </summary>
internal sealed class ThroughputBench(LivePreviewHost host, Report report)
{
    private const string AssetPath = "public/asset50k.js";
    private const string AssetUrlPath = "asset50k.js";
    private const int AssetBytes = 50 * 1024;
    private const double TargetRatio = 0.6;

    private sealed record Phase(long Ok, long Failed, double Seconds, List<double> LatenciesMs);

    public async Task RunAsync(BenchSandbox sandbox, int concurrency, TimeSpan duration, int rounds, CancellationToken cancellationToken)
    {
        await sandbox.WriteFileAsync(AssetPath, MakeAsset(), cancellationToken);
        var proxyUri = new Uri(new Uri(sandbox.ProxyUrl), AssetUrlPath);
        var directUri = new Uri(new Uri(sandbox.DirectUrl), AssetUrlPath);
        using var proxyClient = CreateClient(concurrency, pinTo: new IPEndPoint(IPAddress.Loopback, host.Port));
        using var directClient = CreateClient(concurrency, pinTo: null);
        // As a browser with a grant: the proxy looks the grant cookie up on every request.
        proxyClient.DefaultRequestHeaders.Add("Cookie", await host.ExchangeGrantAsync(sandbox.GrantUrl));
        await WaitServedAsync(proxyClient, proxyUri, cancellationToken);
        await WaitServedAsync(directClient, directUri, cancellationToken);

        Console.WriteLine($"throughput: {concurrency} loops, {rounds} × {duration.TotalSeconds:0.#} s per path (after 1 s warm-up each), {proxyUri} vs {directUri}");
        await RunPhaseAsync(proxyClient, proxyUri, concurrency, TimeSpan.FromSeconds(1), cancellationToken);
        await RunPhaseAsync(directClient, directUri, concurrency, TimeSpan.FromSeconds(1), cancellationToken);
        var proxyPhases = new List<Phase>();
        var directPhases = new List<Phase>();
        var cpu = new Dictionary<bool, CpuMeter.Usage> { [true] = default, [false] = default };
        for (var round = 0; round < rounds; round++)
        {
            var first = round % 2 == 0;
            foreach (var viaProxy in first ? new[] { true, false } : [false, true])
            {
                var before = CpuMeter.Read(sandbox.Id);
                var phase = await RunPhaseAsync(viaProxy ? proxyClient : directClient, viaProxy ? proxyUri : directUri, concurrency, duration, cancellationToken);
                var after = CpuMeter.Read(sandbox.Id);
                (viaProxy ? proxyPhases : directPhases).Add(phase);
                var usage = CpuMeter.Usage.Between(before, after);
                cpu[viaProxy] += usage;
                Console.WriteLine($"  round {round + 1} {(viaProxy ? "proxy " : "direct")}: {Stats.Number(phase.Ok / phase.Seconds)} req/s, {phase.Failed} failed, p50 {Stats.Ms(Stats.P50(phase.LatenciesMs))}; {usage}");
            }
        }

        var proxyRate = Rate(proxyPhases);
        var directRate = Rate(directPhases);
        var failed = proxyPhases.Sum(p => p.Failed) + directPhases.Sum(p => p.Failed);
        var load = $"{concurrency} concurrent HttpClient loops in the bench process, {rounds} alternating rounds × {duration.TotalSeconds:0.#} s per path; the generator shares the {Environment.ProcessorCount} cores with the proxy and Vite";
        report.Add(new Row("50 KB asset req/s via proxy", Stats.Number(proxyRate), "—", "—", "—", $"{load}; {Stats.Number(proxyRate * AssetBytes / 1024 / 1024, "0")} MiB/s; {cpu[true]}"));
        report.Add(new Row("50 KB asset req/s direct", Stats.Number(directRate), "—", "—", "—", $"same generator against {sandbox.DirectEndpoint}; {Stats.Number(directRate * AssetBytes / 1024 / 1024, "0")} MiB/s; {cpu[false]}"));
        var ratio = proxyRate / directRate;
        var roundRatios = proxyPhases.Zip(directPhases, (p, d) => (p.Ok / p.Seconds) / (d.Ok / d.Seconds)).ToList();
        report.Add(new Row("proxy/direct throughput ratio", Stats.Number(ratio, "0.00") + "×", "—", "≥ 0.6×", Report.Met(ratio >= TargetRatio),
            $"per-round ratios {string.Join(", ", roundRatios.Select(r => Stats.Number(r, "0.00")))}; {(failed == 0 ? "no failed requests" : $"{failed} failed requests")}"));
        var proxyCost = PerRequestMicroseconds(cpu[true], proxyPhases);
        var directCost = PerRequestMicroseconds(cpu[false], directPhases);
        report.Add(new Row("proxy's own CPU per 50 KB request", Stats.Number(proxyCost.Bench - directCost.Bench) + " µs", "—", "—", "—",
            $"bench-process CPU per request via proxy {Stats.Number(proxyCost.Bench)} µs − direct {Stats.Number(directCost.Bench)} µs (the generator's share is in both); "
            + $"Vite per request {Stats.Number(proxyCost.Sandbox)} µs via proxy, {Stats.Number(directCost.Sandbox)} µs direct; less sensitive to other load than req/s"));
        var proxyLatency = proxyPhases.SelectMany(p => p.LatenciesMs).ToList();
        var directLatency = directPhases.SelectMany(p => p.LatenciesMs).ToList();
        report.Add(new Row($"50 KB asset latency via proxy ({concurrency} concurrent)", Stats.Ms(Stats.P50(proxyLatency)), Stats.Ms(Stats.P95(proxyLatency)), "—", "—", $"n={proxyLatency.Count} requests"));
        report.Add(new Row($"50 KB asset latency direct ({concurrency} concurrent)", Stats.Ms(Stats.P50(directLatency)), Stats.Ms(Stats.P95(directLatency)), "—", "—", $"n={directLatency.Count} requests"));
    }

    private static double Rate(List<Phase> phases) => phases.Sum(p => p.Ok) / phases.Sum(p => p.Seconds);

    private static (double Sandbox, double Bench) PerRequestMicroseconds(CpuMeter.Usage usage, List<Phase> phases)
    {
        var requests = (double)phases.Sum(p => p.Ok + p.Failed);
        return (usage.SandboxSeconds / requests * 1e6, usage.BenchSeconds / requests * 1e6);
    }

    /// <summary>ASCII JavaScript of exactly 50 KiB, so bytes on the wire are known.</summary>
    private static string MakeAsset()
    {
        var text = new StringBuilder("// LivePreview bench asset: 50 KiB of JavaScript served from public/.\n");
        for (var i = 0; text.Length < AssetBytes; i++)
        {
            text.Append("export const value").Append(i).Append(" = 'abcdefghijklmnopqrstuvwxyz0123456789';\n");
        }
        text.Length = AssetBytes - 1;
        return text.Append('\n').ToString();
    }

    private static HttpClient CreateClient(int concurrency, IPEndPoint? pinTo) => new(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
        MaxConnectionsPerServer = concurrency,
        ConnectCallback = async (context, ct) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(pinTo ?? new IPEndPoint(IPAddress.Parse(context.DnsEndPoint.Host), context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    }) { Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Vite picks up a new public/ file through its watcher; wait until both paths serve all of it.</summary>
    private static async Task WaitServedAsync(HttpClient client, Uri uri, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            using var response = await client.GetAsync(uri, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            if (response.StatusCode == HttpStatusCode.OK && body.Length == AssetBytes)
            {
                return;
            }
            last = $"{(int)response.StatusCode}, {body.Length} bytes";
            await Task.Delay(100, cancellationToken);
        }
        throw new TimeoutException($"{uri} did not serve the {AssetBytes}-byte asset (last: {last}).");
    }

    private static async Task<Phase> RunPhaseAsync(HttpClient client, Uri uri, int concurrency, TimeSpan duration, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var stopAt = duration;
        var loops = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var buffer = new byte[64 * 1024];
            var latencies = new List<double>(4096);
            long ok = 0, failed = 0;
            while (clock.Elapsed < stopAt)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var started = clock.Elapsed;
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                    using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                    await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                    long length = 0;
                    int read;
                    while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                    {
                        length += read;
                    }
                    if (response.StatusCode == HttpStatusCode.OK && length == AssetBytes)
                    {
                        ok++;
                        latencies.Add((clock.Elapsed - started).TotalMilliseconds);
                    }
                    else
                    {
                        failed++;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    failed++;
                }
            }
            return (ok, failed, latencies);
        }, cancellationToken)).ToList();
        var results = await Task.WhenAll(loops);
        return new Phase(results.Sum(r => r.ok), results.Sum(r => r.failed), clock.Elapsed.TotalSeconds, results.SelectMany(r => r.latencies).ToList());
    }
}
