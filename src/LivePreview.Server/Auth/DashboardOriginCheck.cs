using Microsoft.Extensions.Options;

namespace LivePreview.Auth;

/// <summary>
/// Cross-site requests with the dashboard's cookie: every WebSocket upgrade (event stream, Blazor circuit) and every
/// state-changing request that is not bearer-authenticated must come from a page of the dashboard's own origin
/// (the service's own scheme://host, or <see cref="AuthOptions.DashboardOrigins"/>), else 403. A preview page is
/// another origin (its own host, or in path mode still a page we cannot trust), and so is any other site.
/// Bearer requests are exempt: a browser never adds an Authorization header by itself.
/// </summary>
internal sealed class DashboardOriginCheck(RequestDelegate next, IOptions<AuthOptions> options)
{
    private readonly HashSet<string> _configured = options.Value.DashboardOrigins
        .Select(Normalize).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var changesState = context.WebSockets.IsWebSocketRequest
            || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method));
        // Sign-in and sign-out count even without a cookie: a foreign page must not sign the browser in as someone else,
        // nor out (a preview page's form post to /logout carries no SameSite=Strict cookie, yet would clear it).
        var cookieOrSignIn = context.User.Identity?.IsAuthenticated == true
            || request.Path.StartsWithSegments(LoginEndpoints.LoginPath) || request.Path.StartsWithSegments(LoginEndpoints.LogoutPath);
        // A user another instance acts for came from no browser: the instance's MAC vouches for the request, not a cookie.
        if (!changesState || !cookieOrSignIn || AuthSchemes.BearerToken(request) is not null || IsDashboardOrigin(request)
            || context.User.Identity?.AuthenticationType == AuthSchemes.Instance)
        {
            await next(context);
            return;
        }
        await context.RequestServices.GetRequiredService<Audit>().OriginRefusedAsync(
            context.User.UserId(), request.Headers.Origin.ToString(), request.Method, request.Path.Value ?? "", context.WebSockets.IsWebSocketRequest);
        await AuthProblems.WriteAsync(context, StatusCodes.Status403Forbidden, "Cross-origin request refused",
            $"This request carries the dashboard's sign-in but comes from origin '{request.Headers.Origin}', not from the dashboard. " +
            "Scripts use 'Authorization: Bearer <key>'; a site that embeds the dashboard is listed in LivePreview:Auth:DashboardOrigins.");
    }

    private bool IsDashboardOrigin(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || request.Headers.Origin.Count != 1)
        {
            return false;
        }
        var own = $"{request.Scheme}://{request.Host.Value}";
        return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase) || _configured.Contains(origin);
    }

    /// <summary>scheme://host[:port] as browsers send it in Origin, or null when the text is not an origin.</summary>
    public static string? Normalize(string origin) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.AbsolutePath == "/"
            && string.IsNullOrEmpty(uri.Query) && string.IsNullOrEmpty(uri.Fragment) && string.IsNullOrEmpty(uri.UserInfo)
            ? uri.GetLeftPart(UriPartial.Authority)
            : null;
}
