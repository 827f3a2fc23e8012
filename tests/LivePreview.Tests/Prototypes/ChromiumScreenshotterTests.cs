using System.Collections.Concurrent;
using LivePreview.Prototypes.Screenshots;
using LivePreview.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Prototypes;

/// <summary>
/// Headless Chromium against pages served here: the screenshot has the configured size and the page's pixels; a
/// hostile page reaches no other host name or address (loopback services included); a page that never finishes
/// is killed at the timeout; no process of Chromium's user and no scratch folder is left behind.
/// </summary>
public sealed class ChromiumScreenshotterTests : IAsyncLifetime
{
    private const int ChromiumUid = 99998;
    private readonly ConcurrentBag<string> _reached = [];
    private WebApplication _pages = null!;
    private WebApplication _loopbackService = null!;
    private int _pagePort, _servicePort;

    public async Task InitializeAsync()
    {
        _loopbackService = Serve(context =>
        {
            _reached.Add(context.Request.Host + context.Request.Path);
            return Task.CompletedTask;
        });
        await _loopbackService.StartAsync();
        _servicePort = PortOf(_loopbackService);
        _pages = Serve(async context =>
        {
            if (context.Request.Path == "/hang")
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync(Page(_servicePort));
        });
        await _pages.StartAsync();
        _pagePort = PortOf(_pages);
    }

    public async Task DisposeAsync()
    {
        await _pages.DisposeAsync();
        await _loopbackService.DisposeAsync();
    }

    [Fact]
    public async Task A_hostile_page_is_pictured_at_the_configured_size_and_reaches_nothing_but_its_own_host()
    {
        var chromium = Screenshotter(new ScreenshotOptions { Width = 640, Height = 480 });
        Assert.Null(chromium.Unavailable());

        var result = await chromium.CaptureAsync(new Uri($"http://page.localhost:{_pagePort}/"), CancellationToken.None);

        Assert.Null(result.Error);
        var png = PngPixels.Decode(result.Png!);
        Assert.Equal((640, 480), (png.Width, png.Height));
        Assert.Equal((640, 480), (result.Width, result.Height));
        Assert.Contains(0x33AA66u, png.Pixels);
        Assert.True(png.DistinctColours > 2, "the page's heading is drawn on its background");
        Assert.Empty(_reached);
        await AssertNothingLeftAsync();
    }

    [Fact]
    public async Task A_page_that_never_loads_is_killed_at_the_timeout()
    {
        var chromium = Screenshotter(new ScreenshotOptions { Timeout = TimeSpan.FromSeconds(4), PageBudget = TimeSpan.FromSeconds(1) });

        var result = await chromium.CaptureAsync(new Uri($"http://page.localhost:{_pagePort}/hang"), CancellationToken.None);

        Assert.Null(result.Png);
        Assert.Contains("was killed", result.Error);
        await AssertNothingLeftAsync();
    }

    [Fact]
    public async Task Addresses_that_are_not_plain_host_names_are_refused_before_Chromium_starts()
    {
        var result = await Screenshotter(new ScreenshotOptions()).CaptureAsync(new Uri("file:///etc/passwd"), CancellationToken.None);
        Assert.Contains("not a plain http(s) host name", result.Error);
    }

    /// <summary>Every way a page tries to leave its host: IP literals (v4, v6, hex), another *.localhost name, a fetch, a WebSocket.</summary>
    private static string Page(int port) => $$"""
        <!doctype html><html><body style="margin:0;background:#33aa66"><h1 style="color:#fff;font:48px sans-serif">Checkpoint</h1>
        <img src="http://127.0.0.1:{{port}}/ip"><img src="http://[::1]:{{port}}/v6"><img src="http://0x7f000001:{{port}}/hex">
        <img src="http://other.localhost:{{port}}/name">
        <script>fetch("http://127.0.0.1:{{port}}/fetch").catch(() => {}); try { new WebSocket("ws://127.0.0.1:{{port}}/ws"); } catch {}</script>
        </body></html>
        """;

    private static ChromiumScreenshotter Screenshotter(ScreenshotOptions options) =>
        new(Options.Create(options), NullLogger<ChromiumScreenshotter>.Instance);

    /// <summary>Checked holding the capture gate, so a capture of another test host running meanwhile cannot show up here.</summary>
    private static async Task AssertNothingLeftAsync()
    {
        await ChromiumScreenshotter.CaptureGate.WaitAsync();
        try
        {
            var left = Directory.GetDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _))
                .Where(d => File.Exists(Path.Join(d, "status")) && StatusUid(d) == ChromiumUid).ToList();
            Assert.Empty(left);
            Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), "livepreview-shot-*"));
        }
        finally
        {
            ChromiumScreenshotter.CaptureGate.Release();
        }
    }

    private static int? StatusUid(string proc)
    {
        try
        {
            var line = File.ReadLines(Path.Join(proc, "status")).FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return line is null ? null : int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1]);
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static WebApplication Serve(RequestDelegate handler)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(handler);
        return app;
    }

    private static int PortOf(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
}
