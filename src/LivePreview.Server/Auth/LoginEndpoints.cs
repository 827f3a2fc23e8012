using System.Net;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LivePreview.Auth;

/// <summary>
/// <c>/login</c>: the one-time link printed at start (<c>?token=</c>) or a pasted API key becomes the dashboard
/// cookie; <c>/logout</c> ends it. A small page of its own (no Blazor circuit before sign-in).
/// </summary>
internal static class LoginEndpoints
{
    public const string LoginPath = "/login";

    public const string LogoutPath = "/logout";

    public static IEndpointRouteBuilder MapLoginEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet(LoginPath, async Task<IResult> (HttpContext context, string? token, string? returnUrl, LoginLinks links, ApiKeys keys, Audit audit) =>
        {
            NoStore(context);
            if (token is null)
            {
                return Page(context, StatusCodes.Status200OK, returnUrl, null);
            }
            if (!links.TryRedeem(token))
            {
                await audit.SignInRefusedAsync("login link used already, expired or unknown", null, RemoteAddress(context));
                return Page(context, StatusCodes.Status401Unauthorized, returnUrl,
                    "This login link was used already or has expired: each link works once. Paste an API key, or restart the service for a new link.");
            }
            var admin = (await keys.ListAsync(context.RequestAborted)).FirstOrDefault(k => k.Id == ApiKeys.BootstrapId && k.RevokedAt is null);
            if (admin is null)
            {
                await audit.SignInRefusedAsync("login link of a revoked bootstrap key", null, RemoteAddress(context));
                return Page(context, StatusCodes.Status401Unauthorized, returnUrl, "The bootstrap admin key was revoked, so its login link no longer signs in. Paste an API key.");
            }
            await SignInAsync(context, admin);
            // Redirect to the clean URL: the token leaves the address bar (and the history) at once.
            return Results.Redirect(LocalOrRoot(returnUrl));
        }).AllowAnonymous().ExcludeFromDescription();

        app.MapPost(LoginPath, async Task<IResult> (HttpContext context, ApiKeys keys, Audit audit) =>
        {
            NoStore(context);
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
            var returnUrl = form?["returnUrl"].ToString();
            var key = form?["key"].ToString().Trim() ?? "";
            var record = key.Length == 0 ? null : await keys.FindActiveAsync(key, context.RequestAborted);
            if (record is null)
            {
                var known = key.Length == 0 ? null : await keys.FindAnyAsync(key, context.RequestAborted);
                await audit.SignInRefusedAsync(known is null ? "unknown API key" : "revoked API key", known, RemoteAddress(context));
                return Page(context, StatusCodes.Status401Unauthorized, returnUrl, "That is not a valid API key (or it was revoked).");
            }
            await SignInAsync(context, record);
            return Results.Redirect(LocalOrRoot(returnUrl));
        }).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();

        app.MapPost(OidcSignIn.SignInPath, async Task<IResult> (HttpContext context, IOptions<AuthOptions> options) =>
        {
            NoStore(context);
            if (!options.Value.Oidc.Enabled)
            {
                return Page(context, StatusCodes.Status404NotFound, null, "Sign-in with an identity provider is not configured here (LivePreview:Auth:Oidc:Authority). Paste an API key.");
            }
            var form = context.Request.HasFormContentType ? await context.Request.ReadFormAsync(context.RequestAborted) : null;
            var returnUrl = LocalOrRoot(form?["returnUrl"].ToString());
            return await OidcSignIn.ChallengeAsync(context, returnUrl)
                ? Results.Empty
                : Page(context, StatusCodes.Status502BadGateway, returnUrl,
                    $"The identity provider ({options.Value.Oidc.DisplayName}) could not be reached or did not describe itself (its discovery document). Try again later, or paste an API key.");
        }).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();

        // A page, not a redirect: it ends the cross-site redirect chain from the provider, so the browser sends the
        // SameSite=Strict cookie it was just given with the request for the dashboard.
        app.MapGet(OidcSignIn.CompletePath, (HttpContext context, string? returnUrl) =>
        {
            NoStore(context);
            var target = WebUtility.HtmlEncode(LocalOrRoot(returnUrl));
            return Results.Content($$"""
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8" /><meta http-equiv="refresh" content="0;url={{target}}" /><title>Signed in · LivePreview</title></head>
                <body><p>Signed in. <a href="{{target}}">Continue to LivePreview</a>.</p></body></html>
                """, "text/html; charset=utf-8");
        }).AllowAnonymous().ExcludeFromDescription();

        app.MapPost(LogoutPath, async Task<IResult> (HttpContext context) =>
        {
            await context.SignOutAsync(AuthSchemes.Cookie);
            return Results.Redirect(LoginPath);
        }).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        return app;
    }

    private static string? RemoteAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    private static Task SignInAsync(HttpContext context, ApiKeyRecord key) =>
        context.SignInAsync(AuthSchemes.Cookie, AuthSchemes.Principal(key, AuthSchemes.Cookie), new AuthenticationProperties { IsPersistent = true });

    /// <summary>Only a path of this site: never <c>//evil.example</c> or <c>/\evil.example</c>, which browsers treat as another host.</summary>
    public static string LocalOrRoot(string? returnUrl) =>
        returnUrl is { Length: > 0 } && returnUrl[0] == '/' && (returnUrl.Length == 1 || (returnUrl[1] != '/' && returnUrl[1] != '\\'))
            && !returnUrl.Any(char.IsControl) && !returnUrl.StartsWith(LoginPath, StringComparison.OrdinalIgnoreCase)
            ? returnUrl
            : "/";

    public static void NoStore(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        // same-origin, not no-referrer: under no-referrer Chromium sends "Origin: null" with the form post.
        context.Response.Headers["Referrer-Policy"] = "same-origin";
    }

    public static IResult Page(HttpContext context, int status, string? returnUrl, string? error)
    {
        var errorHtml = error is null ? "" : $"""<p class="signin-error" role="alert" data-testid="signin-error">{WebUtility.HtmlEncode(error)}</p>""";
        var oidc = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.Oidc;
        var oidcHtml = !oidc.Enabled ? "" : $"""
            <form method="post" action="{OidcSignIn.SignInPath}" class="signin-oidc">
                <input type="hidden" name="returnUrl" value="{WebUtility.HtmlEncode(LocalOrRoot(returnUrl))}" />
                <button class="btn btn-primary" type="submit" data-testid="signin-oidc">Sign in with {WebUtility.HtmlEncode(oidc.DisplayName)}</button>
            </form>
            <p class="muted signin-or">or</p>
            """;
        var html = $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1.0" />
                <title>Sign in · LivePreview</title>
                <link rel="stylesheet" href="/app.css" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
            </head>
            <body class="signin-page">
                <main class="signin">
                    <h1>Sign in to LivePreview</h1>
                    <p class="muted">Open the login link the service printed when it started, or paste an API key.
                    The first admin key is in the file <code>bootstrap-key</code> in the data directory (or <code>LivePreview:Auth:BootstrapKey</code>).</p>
                    {{errorHtml}}
                    {{oidcHtml}}
                    <form method="post" action="/login">
                        <input type="hidden" name="returnUrl" value="{{WebUtility.HtmlEncode(LocalOrRoot(returnUrl))}}" />
                        <label for="key">API key</label>
                        <input id="key" name="key" type="password" autocomplete="off" required data-testid="signin-key" />
                        <button class="btn btn-primary" type="submit" data-testid="signin-submit">Sign in</button>
                    </form>
                </main>
            </body>
            </html>
            """;
        return Results.Content(html, "text/html; charset=utf-8", statusCode: status);
    }
}
