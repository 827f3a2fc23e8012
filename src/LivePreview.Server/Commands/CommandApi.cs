using System.Security.Claims;
using System.Text.Json;
using LivePreview.Hosting;
using LivePreview.RateLimits;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Commands;

public sealed record CreateCommandRequest(List<string>? Command, string? Cwd, Dictionary<string, string>? Env, int? TimeoutSeconds);

public sealed record CommandResponse(
    string Id, IReadOnlyList<string> Command, string Cwd, string Status, int? ExitCode,
    DateTimeOffset StartedAt, DateTimeOffset? EndedAt, long DurationMs, long OutputBytes, bool OutputTruncated);

/// <summary>
/// <c>/api/v1/sandboxes/{id}/commands</c>: authenticated like every API (the group inherits the
/// default policy); each route first asks <see cref="SandboxManager.RequireVisibleAsync"/>, so someone
/// else's sandbox and its commands are a 404 exactly like unknown ones.
/// </summary>
public static class CommandApi
{
    public static IEndpointRouteBuilder MapCommandApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sandboxes/{id}/commands").WithTags("Commands");
        group.MapPost("/", StartAsync).RequireUserLimit(UserLimit.Commands).WithSummary("Run a command (an argument list) in a running sandbox; it keeps running after the response.");
        group.MapGet("/", ListAsync).WithSummary("The sandbox's commands, newest first.");
        group.MapGet("/{cid}", GetAsync).WithSummary("One command: status, exit code, timing, output size.");
        group.MapGet("/{cid}/output", OutputAsync).WithSummary("The command's kept output as text; ?follow=true streams it until the command ends.");
        group.MapPost("/{cid}/input", InputAsync).WithSummary("Write the request body to the command's stdin; ?eof=true closes stdin afterwards.");
        group.MapPost("/{cid}/kill", KillAsync).WithSummary("Kill the command's whole process tree.");
        return app;
    }

    private static async Task<IResult> StartAsync(string id, CreateCommandRequest? request, ClaimsPrincipal user, SandboxManager sandboxes, CommandService commands, CancellationToken ct)
    {
        await sandboxes.RequireVisibleAsync(id, user, ct);
        if (request is null)
        {
            throw new InvalidCommandException("Send a JSON body such as {\"command\": [\"npm\", \"test\"], \"cwd\": \"/app\", \"env\": {}, \"timeout_seconds\": 600}.");
        }
        await sandboxes.RequireRunningAsync(id, ct);
        var record = await commands.StartAsync(id, new CommandRequest(request.Command ?? [], request.Cwd, request.Env, request.TimeoutSeconds), ct);
        return Results.Accepted($"/api/v1/sandboxes/{id}/commands/{record.Id}", ToResponse(record, commands));
    }

    private static async Task<IResult> ListAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, CommandService commands, CancellationToken ct)
    {
        await sandboxes.RequireVisibleAsync(id, user, ct);
        return Results.Ok((await commands.ListAsync(id, ct)).Select(r => ToResponse(r, commands)));
    }

    private static async Task<IResult> GetAsync(string id, string cid, ClaimsPrincipal user, SandboxManager sandboxes, CommandService commands, CancellationToken ct)
    {
        await RequireAsync(id, cid, user, sandboxes, ct);
        return Results.Ok(ToResponse(await commands.GetAsync(id, cid, ct), commands));
    }

    /// <summary>
    /// Written straight to the response, flushed per chunk. The command's output pump never waits for
    /// this reader (<see cref="CommandOutput"/>), so a slow or vanished client cannot disturb the command.
    /// </summary>
    private static async Task OutputAsync(string id, string cid, bool? follow, HttpContext context, ClaimsPrincipal user, SandboxManager sandboxes, CommandService commands)
    {
        var ct = context.RequestAborted;
        await RequireAsync(id, cid, user, sandboxes, ct);
        var (kept, next) = await commands.ReadOutputAsync(id, cid, follow == true, ct);
        using (next)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers["X-Content-Type-Options"] = "nosniff";
            try
            {
                await context.Response.Body.WriteAsync(kept, ct);
                await context.Response.Body.FlushAsync(ct);
                if (next is null)
                {
                    return;
                }
                await foreach (var chunk in next.Reader.ReadAllAsync(ct))
                {
                    await context.Response.Body.WriteAsync(chunk, ct);
                    await context.Response.Body.FlushAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The client went away; the command runs on.
            }
        }
    }

    private static async Task<IResult> InputAsync(string id, string cid, bool? eof, HttpContext context, ClaimsPrincipal user, SandboxManager sandboxes, CommandService commands,
        IOptions<CommandOptions> options)
    {
        var ct = context.RequestAborted;
        await RequireAsync(id, cid, user, sandboxes, ct);
        var limit = options.Value.MaxInputBytes;
        var body = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(buffer, ct)) > 0)
        {
            body.Write(buffer, 0, read);
            if (body.Length > limit)
            {
                return Results.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Input too large",
                    detail: $"One input request carries at most {limit} bytes ({CommandOptions.Section}:MaxInputBytes); send it in parts.");
            }
        }
        await commands.WriteInputAsync(id, cid, body.ToArray(), eof == true, ct);
        return Results.Ok(new { written = body.Length, eof = eof == true });
    }

    private static async Task<IResult> KillAsync(string id, string cid, ClaimsPrincipal user, SandboxManager sandboxes, CommandService commands, CancellationToken ct)
    {
        await RequireAsync(id, cid, user, sandboxes, ct);
        return Results.Ok(ToResponse(await commands.KillAsync(id, cid, ct), commands));
    }

    private static async Task RequireAsync(string id, string cid, ClaimsPrincipal user, SandboxManager sandboxes, CancellationToken ct)
    {
        await sandboxes.RequireVisibleAsync(id, user, ct);
        if (!CommandService.IsValidId(cid))
        {
            throw new CommandNotFoundException(id, cid);
        }
    }

    public static CommandResponse ToResponse(CommandRecord r, CommandService commands) =>
        new(r.Id, JsonSerializer.Deserialize<List<string>>(r.Command) ?? [], r.Cwd, CommandService.Status(r.Status), r.ExitCode,
            r.StartedAt, r.EndedAt, commands.DurationMs(r), r.OutputBytes, r.OutputTruncated);
}
