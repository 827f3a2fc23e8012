using System.Net;
using LivePreview.Auth;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Proxy;
using LivePreview.Sandboxes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Grants;

/// <summary>
/// Who may open a preview, decided by the proxy before anything is forwarded (HTTP and WebSocket upgrades alike):
/// a live grant cookie for this sandbox and port, or the owner's (or an admin's) LivePreview credential as
/// <c>Authorization: Bearer</c>, or a preview made public. The grant URL's token is exchanged here for the cookie.
/// </summary>
internal sealed partial class PreviewAccess(
    PreviewGrants grants,
    GrantedSockets sockets,
    SandboxManager sandboxes,
    IDbContextFactory<LivePreviewDbContext> db,
    IOptionsMonitor<PreviewOptions> previewOptions,
    ILogger<PreviewAccess> logger)
{
    /// <summary>
    /// Answers a request that carries a grant token in its query (not an upgrade: those never redirect): a live
    /// token becomes the cookie and a redirect to the same URL without the token (out of the address bar and the
    /// history); anything else is the 401 page. False when the request has no token.
    /// </summary>
    public async Task<bool> TryExchangeAsync(HttpContext context, PreviewTarget target, string basePath)
    {
        var request = context.Request;
        if (context.WebSockets.IsWebSocketRequest || !request.Query.TryGetValue(PreviewGrants.QueryParameter, out var tokens))
        {
            return false;
        }
        var response = context.Response;
        response.Headers["Referrer-Policy"] = "no-referrer";
        var grant = await grants.FindLiveAsync(target, tokens.ToString(), context.RequestAborted);
        if (grant is null)
        {
            LogExchangeRefused(logger, target.SandboxId, target.Port);
            await FriendlyPage.WriteAsync(context, PreviewProblem.Unauthorized, "This link has expired, was revoked, or is for another preview.");
            return true;
        }
        response.Cookies.Append(PreviewGrants.CookieName, tokens.ToString(), CookieFor(request, basePath, grant.ExpiresAt));
        response.Headers.CacheControl = "no-store";
        response.Redirect(WithoutToken(request));
        return true;
    }

    /// <summary>Set when the request's <c>Authorization</c> authenticated as a LivePreview user: the transformer drops it (a JWT is not caught by the <c>lpk_</c> rule).</summary>
    public const string StripAuthorizationKey = "livepreview.strip-authorization";

    public async Task<bool> AllowsAsync(HttpContext context, PreviewTarget target)
    {
        var ct = context.RequestAborted;
        if (IsLivePreviewBearer(context.Request) && await OwnerSignedInAsync(context, target))
        {
            return true;
        }
        foreach (var token in GrantCookies(context.Request))
        {
            if (await grants.FindLiveAsync(target, token, ct) is { } grant)
            {
                if (context.WebSockets.IsWebSocketRequest)
                {
                    sockets.Track(context, grant);
                }
                return true;
            }
        }
        await using var database = await db.CreateDbContextAsync(ct);
        return await database.Previews.AnyAsync(
            p => p.SandboxId == target.SandboxId && p.Port == target.Port && p.Visibility == PreviewVisibility.Public, ct);
    }

    /// <summary>No redirect for upgrades (FIELD-NOTES 5): a WebSocket gets a bare 401 before it opens, a page the friendly 401 page.</summary>
    public Task RefuseAsync(HttpContext context, PreviewTarget target)
    {
        LogRefused(logger, target.SandboxId, target.Port, context.WebSockets.IsWebSocketRequest);
        return FriendlyPage.WriteAsync(context, PreviewProblem.Unauthorized, null);
    }

    private async Task<bool> OwnerSignedInAsync(HttpContext context, PreviewTarget target)
    {
        var result = await context.AuthenticateAsync(AuthSchemes.Default);
        if (!result.Succeeded)
        {
            return false;
        }
        context.Items[StripAuthorizationKey] = true;
        return await sandboxes.FindVisibleAsync(target.SandboxId, result.Principal, context.RequestAborted) is not null;
    }

    /// <summary>A bearer that is ours (a key, or a token for the OIDC handler); an app's own Authorization is not looked at.</summary>
    private static bool IsLivePreviewBearer(HttpRequest request) =>
        AuthSchemes.BearerToken(request) is { } token && (token.StartsWith(ApiKeys.KeyPrefix, StringComparison.Ordinal) || AuthSchemes.LooksLikeJwt(token));

    /// <summary>Every grant cookie of the request (a stale one may sit beside a fresh one); at most a few are looked up.</summary>
    private static IEnumerable<string> GrantCookies(HttpRequest request) =>
        request.Headers.Cookie.SelectMany(h => (h ?? "").Split(';'))
            .Select(c => c.Trim().Split('=', 2))
            .Where(pair => pair.Length == 2 && pair[0] == PreviewGrants.CookieName && pair[1].StartsWith(PreviewGrants.TokenPrefix, StringComparison.Ordinal))
            .Select(pair => pair[1])
            .Take(4);

    /// <summary>
    /// Host-only (no Domain), HttpOnly, living as long as the grant. Inside the dashboard's iframe the preview is a
    /// third party (Chromium: <c>Sec-Fetch-Site: cross-site</c> even between localhost and *.preview.localhost), so
    /// the cookie must be <c>SameSite=None; Secure; Partitioned</c> — which Chromium accepts over https and also over
    /// http on localhost names (potentially trustworthy origins); Lax and plain cookies are dropped there. Over plain
    /// http on any other name a Secure cookie cannot be set: Lax, which works when the preview is opened by itself.
    /// </summary>
    private CookieOptions CookieFor(HttpRequest request, string basePath, DateTimeOffset expires)
    {
        var secure = request.IsHttps || previewOptions.CurrentValue.Scheme == "https" || IsLocalhost(request.Host.Host);
        var options = new CookieOptions
        {
            HttpOnly = true,
            Path = basePath,
            Expires = expires,
            Secure = secure,
            SameSite = secure ? SameSiteMode.None : SameSiteMode.Lax,
            IsEssential = true,
        };
        if (secure)
        {
            options.Extensions.Add("Partitioned");
        }
        return options;
    }

    private static bool IsLocalhost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    private static string WithoutToken(HttpRequest request)
    {
        var rest = request.Query.Where(q => !string.Equals(q.Key, PreviewGrants.QueryParameter, StringComparison.OrdinalIgnoreCase))
            .SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? "")}"));
        var query = string.Join('&', rest);
        return (request.PathBase + request.Path).ToUriComponent() + (query.Length > 0 ? "?" + query : "");
    }

    [LoggerMessage(EventId = 1810, Level = LogLevel.Information, Message = "A grant link for sandbox {SandboxId} port {Port} was refused (expired, revoked or for another preview)")]
    private static partial void LogExchangeRefused(ILogger logger, string sandboxId, int port);

    [LoggerMessage(EventId = 1811, Level = LogLevel.Debug, Message = "Preview request for sandbox {SandboxId} port {Port} refused: no grant (upgrade: {Upgrade})")]
    private static partial void LogRefused(ILogger logger, string sandboxId, int port, bool upgrade);
}
