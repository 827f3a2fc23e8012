using System.Security.Claims;
using LivePreview.Auth;
using LivePreview.RateLimits;
using LivePreview.Sandboxes;

namespace LivePreview.AgentSessions;

/// <summary>
/// The seed's session routes, on any sandbox. Every handler asks <see cref="SandboxManager.RequireVisibleAsync"/> first:
/// someone else's sandbox is the unknown-sandbox 404, so neither a session nor its state (the 409s name both) is
/// revealed to anyone but the owner (and admins). A sandbox's owner never changes once set, so acting after the
/// check acts on the caller's own sandbox.
/// </summary>
public static class AgentSessionApi
{
    public static IEndpointRouteBuilder MapAgentSessionApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sandbox/{id}").WithTags("Agent sessions");
        group.MapPost("/session", StartAsync).RequireUserLimit(UserLimit.SessionCreates)
            .WithSummary("Start an agent session on a running sandbox (one active session per sandbox; progress streams as events).");
        group.MapGet("/session", GetAsync).WithSummary("The sandbox's current (latest) agent session: status, turns.");
        group.MapPost("/interrupt", InterruptAsync).WithSummary("Interrupt the running turn; the session becomes interrupted and can be resumed.");
        group.MapPost("/resume", ResumeAsync).WithSummary("Continue the session with a new turn (an instruction, or the interrupted one again).");
        return app;
    }

    private static async Task<IResult> StartAsync(string id, StartAgentSessionRequest? request, ClaimsPrincipal user, SandboxManager sandboxes,
        AgentSessionManager sessions, CancellationToken ct)
    {
        await sandboxes.RequireVisibleAsync(id, user, ct);
        var session = await sessions.StartAsync(id, request, user.UserId(), ct);
        return Results.Created($"/api/v1/sandbox/{id}/session", session);
    }

    private static async Task<IResult> GetAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, AgentSessionManager sessions, CancellationToken ct)
    {
        await sandboxes.RequireVisibleAsync(id, user, ct);
        return Results.Ok(await sessions.ViewAsync(id, ct) ?? throw new AgentSessionNotFoundException(id));
    }

    private static async Task<IResult> InterruptAsync(string id, ClaimsPrincipal user, SandboxManager sandboxes, AgentSessionManager sessions, CancellationToken ct)
    {
        await sandboxes.RequireVisibleAsync(id, user, ct);
        return Results.Ok(await sessions.InterruptAsync(id, ct));
    }

    private static async Task<IResult> ResumeAsync(string id, ResumeAgentSessionRequest? request, ClaimsPrincipal user, SandboxManager sandboxes,
        AgentSessionManager sessions, CancellationToken ct)
    {
        await sandboxes.RequireVisibleAsync(id, user, ct);
        return Results.Ok(await sessions.ResumeAsync(id, request?.Instruction, ct));
    }
}
