namespace LivePreview.Auth;

/// <summary>The 401 and 403 answers: ProblemDetails that say how to get in.</summary>
internal static class AuthProblems
{
    public const string HowToAuthenticate =
        "Send an API key as 'Authorization: Bearer <key>'. The first admin key is LivePreview:Auth:BootstrapKey, or the file " +
        "bootstrap-key in the data directory; admins make more with POST /api/v1/keys. In a browser, sign in at /login.";

    public static Task UnauthorizedAsync(HttpContext context, string? detail = null)
    {
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return WriteAsync(context, StatusCodes.Status401Unauthorized, "Authentication required", detail ?? HowToAuthenticate);
    }

    public static Task ForbiddenAsync(HttpContext context) =>
        WriteAsync(context, StatusCodes.Status403Forbidden, "Admins only", "This needs an admin's API key or sign-in.");

    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        if (context.Response.HasStarted)
        {
            return;
        }
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
