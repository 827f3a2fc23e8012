using System.Net;
using LivePreview.DevServers;
using LivePreview.Sandboxes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace LivePreview.Tests.Sandboxes;

/// <summary>The one HTTP client the host uses for sandboxes, against a real Kestrel playing a hostile dev server.</summary>
public sealed class SandboxHttpClientTests : IAsyncLifetime
{
    private WebApplication _server = null!;
    private WebApplication _bystander = null!;
    private int _bystanderRequests;
    private IPEndPoint _endpoint = null!;

    public async Task InitializeAsync()
    {
        var bystander = WebApplication.CreateSlimBuilder();
        bystander.WebHost.UseUrls("http://127.0.0.1:0");
        _bystander = bystander.Build();
        _bystander.Run(async context =>
        {
            Interlocked.Increment(ref _bystanderRequests);
            await context.Response.WriteAsync("bystander-secret");
        });
        await _bystander.StartAsync();
        var bystanderUrl = _bystander.Urls.First();

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.MapGet("/redirect", (HttpContext c) => Results.Redirect(bystanderUrl + "/steal"));
        _server.MapGet("/huge", async (HttpContext c) =>
        {
            var chunk = new byte[64 * 1024];
            for (var i = 0; i < 1000 && !c.RequestAborted.IsCancellationRequested; i++)
            {
                await c.Response.Body.WriteAsync(chunk, c.RequestAborted);
            }
        });
        _server.MapGet("/big-headers", (HttpContext c) =>
        {
            c.Response.Headers["X-Big"] = new string('h', 40 * 1024);
            return "ok";
        });
        _server.MapGet("/gzip", (HttpContext c) =>
        {
            c.Response.Headers.ContentEncoding = "gzip";
            return Results.Bytes([0x1f, 0x8b, 1, 2, 3], "text/plain");
        });
        _server.MapGet("/slow", async (HttpContext c) => { await Task.Delay(TimeSpan.FromMinutes(1), c.RequestAborted); });
        _server.MapGet("/host", (HttpContext c) => c.Request.Host.Value);
        await _server.StartAsync();
        _endpoint = IPEndPoint.Parse(new Uri(_server.Urls.First()).Authority);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _bystander.DisposeAsync();
    }

    [Fact]
    public async Task Only_the_given_endpoint_is_dialled_whatever_host_the_url_names()
    {
        using var http = SandboxHttpClient.Create(_endpoint);

        var answer = await http.GetAsync(new Uri("http://169.254.169.254/host"), readBody: true, CancellationToken.None);

        Assert.Equal(200, answer.StatusCode);
        Assert.Equal("169.254.169.254", answer.Body);
    }

    [Fact]
    public async Task A_redirect_is_reported_and_never_followed()
    {
        using var http = SandboxHttpClient.Create(_endpoint);

        var answer = await http.GetAsync(new Uri($"http://{_endpoint}/redirect"), readBody: true, CancellationToken.None);

        Assert.True(answer.IsRedirect);
        Assert.Equal("the dev server answered 302 (redirects are not followed)", answer.RedirectReason);
        Assert.Equal("", answer.Body);
        Assert.Equal(0, _bystanderRequests);
    }

    [Fact]
    public async Task The_readiness_probe_treats_a_redirect_as_not_ready_without_following_it()
    {
        var probe = new ReadinessProbe(SandboxHttpLimits.Default);

        var result = await probe.CheckAsync(_endpoint, new Uri($"http://{_endpoint}/redirect"), requireScripts: true, CancellationToken.None);

        Assert.False(result.IsReady);
        Assert.Equal("page: the dev server answered 302 (redirects are not followed)", result.Reason);
        Assert.Equal(0, _bystanderRequests);
    }

    [Fact]
    public async Task A_huge_body_is_read_only_up_to_the_limit()
    {
        using var http = SandboxHttpClient.Create(_endpoint, SandboxHttpLimits.Default with { MaxBodyBytes = 100_000 });

        var answer = await http.GetAsync(new Uri($"http://{_endpoint}/huge"), readBody: true, CancellationToken.None);

        Assert.Equal(200, answer.StatusCode);
        Assert.True(answer.Truncated);
        Assert.Equal(100_000, answer.Body.Length);
    }

    [Fact]
    public async Task Oversized_headers_a_stalled_answer_and_compressed_bodies_are_not_taken_in()
    {
        using var http = SandboxHttpClient.Create(_endpoint, SandboxHttpLimits.Default with { RequestTimeout = TimeSpan.FromMilliseconds(500) });

        var headers = await http.GetAsync(new Uri($"http://{_endpoint}/big-headers"), readBody: true, CancellationToken.None);
        var slow = await http.GetAsync(new Uri($"http://{_endpoint}/slow"), readBody: true, CancellationToken.None);
        var gzip = await http.GetAsync(new Uri($"http://{_endpoint}/gzip"), readBody: true, CancellationToken.None);

        Assert.Equal(0, headers.StatusCode);
        Assert.NotNull(headers.Failure);
        Assert.True(slow.TimedOut);
        Assert.Equal("no answer within 0.5 s", slow.Failure);
        Assert.Equal(5, gzip.Body.Length);
    }
}
