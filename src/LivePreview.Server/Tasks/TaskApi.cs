using System.Security.Claims;
using System.Text.Json.Serialization;
using LivePreview.Agents;
using LivePreview.Auth;
using LivePreview.Git;
using LivePreview.Hosting;
using LivePreview.RateLimits;

namespace LivePreview.Tasks;

public sealed record TaskRepositoryRequest(string? Url, [property: JsonPropertyName("base_branch")] string? BaseBranch);

public sealed record CreateTaskRequest(
    string? Title, string? Description, TaskRepositoryRequest? Repository,
    [property: JsonPropertyName("required_capabilities")] IReadOnlyList<string>? RequiredCapabilities,
    string? Agent, int? Priority);

public sealed record TaskResponse(
    string Id, string Title, string Status, int Attempts, string? SandboxId, string? Branch, string? Commit,
    string? PullRequestUrl, string? PreviewUrl, string? Error, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static TaskResponse From(TaskRecord t) => new(
        t.Id, t.Title, t.Status.ToString().ToLowerInvariant(), t.Attempts, t.SandboxId, t.Branch, t.CommitSha,
        t.PullRequestUrl, t.PreviewUrl, t.Error, t.CreatedAt, t.UpdatedAt);
}

/// <summary><c>/api/v1/tasks</c>: queue a task (a repository, what to do), follow it to its pull request, cancel it. Owner-checked.</summary>
public static class TaskApi
{
    public const int MaxTitle = 200;
    public const int MaxDescription = 20_000;
    public const int MaxListed = 200;

    /// <summary>Words <c>required_capabilities</c> may use; the frontend ones make the worker wait for a preview.</summary>
    public static IReadOnlySet<string> Capabilities { get; } = new HashSet<string>(TaskWorker.FrontendCapabilities.Concat(["api", "backend", "node", "typescript", "fullstack"]), StringComparer.Ordinal);

    public static IEndpointRouteBuilder MapTaskApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/tasks").WithTags("Tasks");
        group.MapPost("/", CreateAsync).RequireUserLimit(UserLimit.SandboxCreates)
            .WithSummary("Queue a task: a sandbox from the repository, an agent on branch livepreview/<task id>, a push and a pull request.");
        group.MapGet("/", async (ClaimsPrincipal user, TaskQueue queue, CancellationToken ct) =>
                TypedResults.Ok((await queue.ListAsync(user.IsAdmin() ? null : user.RequireUserId(), MaxListed, ct)).Select(TaskResponse.From)))
            .WithSummary($"Your tasks, newest first (admins: everyone's), at most {MaxListed}.");
        group.MapGet("/{id}", async Task<IResult> (string id, ClaimsPrincipal user, TaskQueue queue, CancellationToken ct) =>
                await FindVisibleAsync(id, user, queue, ct) is { } task ? TypedResults.Ok(TaskResponse.From(task)) : NotFound(id))
            .WithSummary("A task: its status, attempts, sandbox, branch, commit, pull request and preview.");
        group.MapPost("/{id}/cancel", CancelAsync).WithSummary("Cancel a task that has not ended; its sandbox stays.");
        return app;
    }

    private static async Task<IResult> CreateAsync(CreateTaskRequest? request, ClaimsPrincipal user, TaskQueue queue, GitRemotePolicy remotes, HostGit git,
        AgentRegistry agents, CancellationToken ct)
    {
        var (task, refused) = await CheckAsync(request, user.RequireUserId(), remotes, git, agents, ct);
        if (refused is { } r)
        {
            return Problems.BadRequest(r.Title, r.Detail);
        }
        var queued = await queue.EnqueueAsync(task!, ct);
        return TypedResults.Created($"/api/v1/tasks/{queued.Id}", TaskResponse.From(queued));
    }

    /// <summary>
    /// The create route's checks, for the API and the tasks page alike: the task to queue for <paramref name="owner"/>, or
    /// the 400's title and detail. A remote that <see cref="GitRemotePolicy"/> refuses throws its <see cref="GitRemoteRefusedException"/>.
    /// </summary>
    public static async Task<(NewTask? Task, (string Title, string Detail)? Refused)> CheckAsync(CreateTaskRequest? request, string owner,
        GitRemotePolicy remotes, HostGit git, AgentRegistry agents, CancellationToken ct)
    {
        var title = request?.Title?.Trim();
        if (string.IsNullOrEmpty(title) || title.Length > MaxTitle || title.Any(char.IsControl))
        {
            return (null, ("Invalid title", $"Give \"title\": 1–{MaxTitle} characters on one line, what the task should do (it becomes the pull request's title)."));
        }
        var description = request!.Description ?? "";
        if (description.Length > MaxDescription)
        {
            return (null, ("Description too long", $"\"description\" may have at most {MaxDescription} characters."));
        }
        if (request.Repository?.Url is not { Length: > 0 } url)
        {
            return (null, ("Repository missing", "Give \"repository\": {\"url\": \"https://…\", \"base_branch\": \"main\"}: the repository to work on and the branch the pull request targets."));
        }
        // The branch first: a local check, so a request refused for its branch never makes the host resolve the remote.
        var baseBranch = request.Repository.BaseBranch ?? "main";
        if (!await git.IsValidBranchAsync(baseBranch, ct))
        {
            return (null, ("Invalid base branch", $"\"base_branch\" '{Clean(baseBranch)}' is not a valid branch name (see git check-ref-format); e.g. \"main\"."));
        }
        var remote = await remotes.CheckAsync(url, ct);
        var capabilities = request.RequiredCapabilities ?? [];
        if (capabilities.Any(c => c is null || !Capabilities.Contains(c)))
        {
            return (null, ("Unknown capability", $"\"required_capabilities\" may use {string.Join(", ", Capabilities.Order(StringComparer.Ordinal))}."));
        }
        if (capabilities.Count > Capabilities.Count)
        {
            return (null, ("Too many capabilities", $"\"required_capabilities\" may list each of {string.Join(", ", Capabilities.Order(StringComparer.Ordinal))} once."));
        }
        var agent = string.IsNullOrWhiteSpace(request.Agent) ? null : request.Agent.Trim();
        var availability = agents.Availability(agent);
        if (!availability.Available)
        {
            return (null, ("Agent not available", availability.Problem ?? $"The agent '{availability.Name}' cannot run."));
        }
        if (request.Priority is < -1000 or > 1000)
        {
            return (null, ("Invalid priority", "\"priority\" must be between -1000 and 1000 (higher runs first; default 0)."));
        }
        return (new NewTask(owner, title, remote.Url, baseBranch)
        {
            Description = description, RequiredCapabilities = [.. capabilities.Distinct(StringComparer.Ordinal)], Agent = availability.Name,
            Priority = request.Priority ?? 0,
        }, null);
    }

    private static async Task<IResult> CancelAsync(string id, ClaimsPrincipal user, TaskQueue queue, CancellationToken ct)
    {
        var (task, refused) = await TryCancelAsync(id, user, queue, ct);
        return refused is { } r ? Results.Problem(statusCode: r.Status, title: r.Title, detail: r.Detail) : TypedResults.Ok(TaskResponse.From(task!));
    }

    /// <summary>The cancel route's checks and call, for the API and the task page alike: the cancelled task, or why not (404 for a stranger, 409 once ended).</summary>
    public static async Task<(TaskRecord? Task, (int Status, string Title, string Detail)? Refused)> TryCancelAsync(string id, ClaimsPrincipal user, TaskQueue queue, CancellationToken ct)
    {
        if (await FindVisibleAsync(id, user, queue, ct) is not { } task)
        {
            return (null, (StatusCodes.Status404NotFound, NotFoundTitle, NotFoundDetail(id)));
        }
        if (!await queue.CancelAsync(task.Id, task.Owner, ct))
        {
            return (null, (StatusCodes.Status409Conflict, "Task has ended", $"Task '{task.Id}' is {task.Status.ToString().ToLowerInvariant()} already; only a queued or running task can be cancelled."));
        }
        return ((await queue.GetAsync(task.Id, ct))!, null);
    }

    /// <summary>The task when the caller owns it or is an admin; a stranger gets the same answer as for a task that does not exist.</summary>
    public static async Task<TaskRecord?> FindVisibleAsync(string id, ClaimsPrincipal user, TaskQueue queue, CancellationToken ct) =>
        await queue.GetAsync(id, ct) is { } task && user.Owns(task.Owner) ? task : null;

    private const string NotFoundTitle = "Task not found";

    private static string NotFoundDetail(string id) => $"There is no task '{Clean(id)}' of yours. List your tasks with GET /api/v1/tasks.";

    private static IResult NotFound(string id) => Problems.NotFound(NotFoundTitle, NotFoundDetail(id));

    private static string Clean(string text) => text.Length > 100 || text.Any(char.IsControl) ? "(invalid)" : text;
}
