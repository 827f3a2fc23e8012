using System.Text.Json;
using LivePreview.Agents;
using LivePreview.AgentSessions;
using LivePreview.Previews;
using LivePreview.Prototypes;
using LivePreview.RateLimits;
using LivePreview.Sandboxes;
using LivePreview.Workspaces;
using Microsoft.AspNetCore.Diagnostics;

namespace LivePreview.Hosting;

/// <summary>Typed errors mapped once, at the API boundary, to ProblemDetails that say what to do.</summary>
internal sealed partial class ApiProblems(IProblemDetailsService problems, ILogger<ApiProblems> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = Map(exception);
        if (status >= 500)
        {
            LogUnhandled(logger, exception, httpContext.Request.Method, httpContext.Request.Path);
        }
        httpContext.Response.StatusCode = status;
        if (exception is RateLimitedException limited)
        {
            httpContext.Response.Headers.RetryAfter = limited.Refusal.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }

    public static (int Status, string Title, string Detail) Map(Exception exception) => exception switch
    {
        InvalidWorkspacePathException e => (400, "Invalid file path", e.Message),
        Commands.InvalidCommandException e => (400, "Invalid command", e.Message),
        Commands.CommandNotFoundException e => (404, "Command not found", e.Message),
        Commands.CommandEndedException e => (409, "Command has ended", e.Message),
        Commands.CommandLimitException e => (429, "Too many commands", e.Message),
        SandboxNotFoundException e => (404, "Sandbox not found", e.Message + " List sandboxes with GET /api/v1/sandboxes."),
        SandboxStateException e => (409, "Sandbox not in the right state", e.Message),
        PreviewNotSupportedException e => (409, "Preview not supported here", e.Message),
        PrototypeNotFoundException e => (404, "Prototype session not found", e.Message),
        PromptInProgressException e => (409, "A prompt is running", e.Message),
        InvalidPromptException e => (400, "Invalid request", e.Message),
        AgentSessionNotFoundException e => (404, "Agent session not found", e.Message),
        AgentSessionConflictException e => (409, "Agent session not in the right state", e.Message),
        InvalidAgentSessionRequestException e => (400, "Invalid agent session request", e.Message),
        AgentNotConfiguredException e => (409, "No agent configured", e.Message),
        ExportException e => (e.Status, "Export failed", e.Message),
        GitException e => (409, "Git failed in the sandbox", e.Message),
        Git.GitRemoteRefusedException e => (400, "Git remote not allowed", e.Message),
        Repositories.RepositoryException e => (e.Status, e.Status == 400 ? "Invalid repository request" : "Repository cannot be used", e.Message),
        Repositories.AppDetectionException e => (422, "No app found in the repository", e.Message),
        IllegalTransitionException e => (409, "Illegal state change", e.Message),
        SandboxLimitException e => (429, "Too many sandboxes", e.Message),
        Terminals.TerminalLimitException e => (409, "Too many terminals", e.Message),
        SandboxQuotaException e => (429, "Sandbox quota reached", e.Message),
        RateLimitedException e => (429, e.Refusal.Title, e.Message),
        InsufficientStorageException e => (507, "Not enough disk space for a sandbox", e.Message),
        SandboxUnavailableException e => (503, "Sandboxes unavailable", e.Message),
        SandboxProviderLimitException e => (501, "Not supported by this sandbox provider", e.Message),
        Sandboxes.Daytona.DaytonaException e => (502, "Daytona failed", e.Message),
        FileTooLargeException e => (413, "File too large", e.Message),
        ApiProblemException e => (e.Status, e.Title, e.Message),
        Instances.SandboxElsewhereException e => (409, "Sandbox runs on another instance", e.Message),
        BadHttpRequestException { StatusCode: 413 } => (413, "Request body too large", "The request body is larger than this endpoint accepts."),
        BadHttpRequestException e => (e.StatusCode, "Bad request", Describe(e)),
        _ when IsDiskFull(exception) => (507, "The data directory's disk is full",
            "The service could not write: the disk holding its data directory (or its database) is full. Reads keep working; free space there and retry."),
        _ when IsNulRefused(exception) => (400, "Text with a NUL character",
            "A value in the request contains a NUL character (\\u0000), which no field accepts; remove it and retry."),
        _ => (500, "Internal error", "Something went wrong on our side; the error was logged."),
    };

    /// <summary>
    /// PostgreSQL refuses a NUL inside text (22021, "invalid byte sequence for encoding UTF8: 0x00") wherever a request's value
    /// reaches a query — an id looked up, a name stored; SQLite stores it. Either way the value was the caller's mistake.
    /// </summary>
    private static bool IsNulRefused(Exception? exception) =>
        InChain(exception, e => e is Npgsql.PostgresException { SqlState: "22021" or "22P05" });

    /// <summary>SQLite's SQLITE_FULL (13), PostgreSQL's disk_full (53100) or ENOSPC from a file write, anywhere in the chain (EF wraps them).</summary>
    internal static bool IsDiskFull(Exception? exception) =>
        InChain(exception, e => e is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 13 } or Npgsql.PostgresException { SqlState: "53100" }
            || (e is IOException && e.HResult == 28));

    /// <summary>The exception or one it wraps (EF and the drivers wrap what the database said).</summary>
    private static bool InChain(Exception? exception, Func<Exception, bool> test)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (test(e))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The binder's message names the parameter; the JSON reader's says where the JSON broke.</summary>
    private static string Describe(BadHttpRequestException e) => e.InnerException is JsonException json
        ? $"The request body is not valid JSON for this endpoint: {json.Message}"
        : e.Message;

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled error for {Method} {Path}")]
    private static partial void LogUnhandled(ILogger logger, Exception ex, string method, string path);
}

/// <summary>
/// A refusal already said as the API says it: another instance's ProblemDetails for an action sent there
/// (<see cref="Instances.InstanceClient"/>), or a refusal a page words itself.
/// </summary>
public sealed class ApiProblemException(int status, string title, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Title { get; } = title;
}

/// <summary>Results for validation failures found by the endpoints themselves.</summary>
public static class Problems
{
    public static IResult BadRequest(string title, string detail) =>
        Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: title, detail: detail);

    public static IResult NotFound(string title, string detail) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, title: title, detail: detail);
}
