using System.Security.Claims;
using LivePreview.Agents;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Questions;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace LivePreview.Gateway;

/// <summary>
/// The gateway's own HTTP server: a second Kestrel on a Unix socket in the data directory (0600), serving only the
/// gateway's routes (<c>/mcp</c>, <c>/anthropic/…</c>, <c>/openai/…</c>) — the public port serves none of them and
/// this one none of the API. Sandboxes reach it only through their own listener (<see cref="GatewayListeners"/>).
/// Every request authenticates with a sandbox token; pending questions are published again once it runs.
/// </summary>
internal sealed class GatewayServer(IServiceProvider services, GatewaySocket socket, IOptions<GatewayOptions> options, ILogger<GatewayServer> logger) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(socket.Path)!);
        File.Delete(socket.Path);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.ListenUnixSocket(socket.Path);
            k.Limits.MaxRequestBodySize = options.Value.MaxModelRequestBytes;
        });
        // The gateway shares the service's state: the same singletons, not copies.
        builder.Services.AddSingleton(services.GetRequiredService<ILoggerFactory>());
        builder.Services.AddSingleton(services.GetRequiredService<GatewayTokens>());
        builder.Services.AddSingleton(services.GetRequiredService<SandboxManager>());
        builder.Services.AddSingleton(services.GetRequiredService<ModelGateway>());
        builder.Services.AddSingleton(services.GetRequiredService<TimeProvider>());
        builder.Services.AddProblemDetails();
        var questions = services.GetRequiredService<QuestionService>();
        var previews = services.GetRequiredService<PreviewManager>();
        var paints = services.GetRequiredService<Proxy.PaintFeedback>();
        var dbFactory = services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>();
        var time = services.GetRequiredService<TimeProvider>();
        builder.Services.AddMcpServer(o => o.ServerInfo = new() { Name = "livepreview", Version = "1" })
            .WithHttpTransport(t =>
            {
                t.Stateless = false;
                // Each session gets tools bound to the sandbox of the token that opened it; the SDK refuses the
                // session to requests of another user (here: another sandbox's token).
                t.ConfigureSessionOptions = (http, mcp, _) =>
                {
                    var caller = GatewayCaller.Of(http);
                    var tools = new SandboxMcpTools(caller.SandboxId, questions, previews, paints, dbFactory, options.Value, time);
                    mcp.ToolCollection = [.. tools.Tools()];
                    return Task.CompletedTask;
                };
            });
        var app = builder.Build();
        app.Use(AuthenticateAsync);
        app.MapMcp("/mcp");
        ModelGateway.Map(app);
        await app.StartAsync(cancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(socket.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        _app = app;
        GatewayLog.Listening(logger, socket.Path);
        await questions.RepublishPendingAsync(cancellationToken);
    }

    /// <summary><c>Authorization: Bearer {token}</c>, or <c>x-api-key</c> (what Anthropic clients send); 401 otherwise.</summary>
    private static async Task AuthenticateAsync(HttpContext context, RequestDelegate next)
    {
        var tokens = context.RequestServices.GetRequiredService<GatewayTokens>();
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : context.Request.Headers["x-api-key"].ToString();
        var id = tokens.SandboxOf(token);
        var sandbox = id is null ? null : await context.RequestServices.GetRequiredService<SandboxManager>().GetAsync(id, context.RequestAborted);
        if (sandbox is null)
        {
            GatewayLog.Refused(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger<GatewayServer>(),
                id is null ? "no valid sandbox token" : $"sandbox {id} is gone");
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await Results.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Sandbox token required",
                detail: "Send the sandbox's $LIVEPREVIEW_SANDBOX_TOKEN as 'Authorization: Bearer …' (or 'x-api-key'). Tokens of deleted sandboxes are refused.").ExecuteAsync(context);
            return;
        }
        context.Features.Set(new GatewayCaller(sandbox.Id, sandbox.Owner));
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, "sandbox:" + sandbox.Id)], "SandboxToken"));
        await next(context);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
        File.Delete(socket.Path);
    }
}
