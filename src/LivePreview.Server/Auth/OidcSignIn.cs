using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace LivePreview.Auth;

/// <summary>
/// Dashboard sign-in at an OIDC provider (<c>LivePreview:Auth:Oidc</c>) through the standard OpenIdConnect handler:
/// authorization code + PKCE, <c>response_mode=query</c>, the id_token's signature, issuer, audience, nonce and expiry
/// checked by the handler. It signs in to the dashboard cookie as the subject (<c>sub</c>), named by
/// <c>name</c>/<c>preferred_username</c>/<c>email</c>. Such a cookie has no API key behind it: it lasts at most
/// <see cref="OidcOptions.SessionLifetime"/> from the sign-in, and the admin role is checked against the settings again
/// on every request.
/// </summary>
internal static partial class OidcSignIn
{
    public const string SignInPath = "/login/oidc";

    /// <summary>The first local page after the provider: the cross-site redirect chain ends there, so the SameSite=Strict cookie goes with the next request.</summary>
    public const string CompletePath = "/login/complete";

    private static readonly string[] NameClaims = ["name", "preferred_username", "email"];

    public static void Configure(OpenIdConnectOptions o, AuthOptions auth)
    {
        var oidc = auth.Oidc;
        o.Authority = oidc.Authority;
        o.ClientId = oidc.ClientId;
        o.ClientSecret = string.IsNullOrWhiteSpace(oidc.ClientSecret) ? null : oidc.ClientSecret;
        o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
        o.ResponseType = OpenIdConnectResponseType.Code;
        // query, not form_post: the provider's answer is then a top-level GET, which carries SameSite=Lax correlation and
        // nonce cookies on http localhost too (form_post needs SameSite=None, and so Secure, on every deployment).
        o.ResponseMode = OpenIdConnectResponseMode.Query;
        o.UsePkce = true;
        o.Scope.Clear();
        foreach (var scope in oidc.Scopes)
        {
            o.Scope.Add(scope);
        }
        o.CallbackPath = OidcOptions.CallbackPath;
        o.SignInScheme = AuthSchemes.Cookie;
        o.MapInboundClaims = false;
        o.SaveTokens = false;
        o.UseTokenLifetime = false;
        o.GetClaimsFromUserInfoEndpoint = false;
        o.DisableTelemetry = true;
        o.TokenValidationParameters.NameClaimType = ClaimTypes.Name;
        o.TokenValidationParameters.RoleClaimType = ClaimTypes.Role;
        foreach (var cookie in new[] { o.CorrelationCookie, o.NonceCookie })
        {
            cookie.SameSite = SameSiteMode.Lax;
            cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.HttpOnly = true;
        }
        var admins = oidc.Admins(auth.Jwt);
        o.Events = new OpenIdConnectEvents
        {
            OnTokenValidated = context => SignInAsSubject(context, admins),
            OnRemoteFailure = ShowFailureAsync,
            OnAccessDenied = context =>
            {
                context.HandleResponse();
                return WriteFailureAsync(context.HttpContext, context.Properties?.RedirectUri, "The sign-in was cancelled or refused at the identity provider.");
            },
        };
    }

    /// <summary>
    /// Sends the browser to the provider, to come back to <see cref="CompletePath"/> and then <paramref name="returnUrl"/>
    /// (a local path). False when the provider's discovery document cannot be had: the caller says so on a page.
    /// </summary>
    public static async Task<bool> ChallengeAsync(HttpContext context, string returnUrl)
    {
        var complete = $"{CompletePath}?returnUrl={Uri.EscapeDataString(returnUrl)}";
        try
        {
            await context.ChallengeAsync(AuthSchemes.Oidc, new AuthenticationProperties { RedirectUri = complete });
            return true;
        }
        catch (InvalidOperationException e) when (!context.Response.HasStarted)
        {
            Log.ProviderUnreachable(Logger(context), e.Message);
            return false;
        }
    }

    /// <summary>The cookie's principal: who (sub), the name to show, admin or not, and when the sign-in happened.</summary>
    private static Task SignInAsSubject(TokenValidatedContext context, IReadOnlySet<string> admins)
    {
        var token = context.Principal!;
        var subject = token.FindFirst("sub")?.Value;
        if (string.IsNullOrEmpty(subject))
        {
            context.Fail("The id_token has no subject (sub).");
            return Task.CompletedTask;
        }
        var name = NameClaims.Select(c => token.FindFirst(c)?.Value).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v)) ?? subject;
        var now = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow();
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, subject),
            new(ClaimTypes.Name, name),
            new(AuthSchemes.OidcSignedInClaim, now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
        };
        if (admins.Contains(subject))
        {
            claims.Add(new Claim(ClaimTypes.Role, AuthSchemes.AdminRole));
        }
        context.Principal = new ClaimsPrincipal(new ClaimsIdentity(claims, AuthSchemes.Oidc, ClaimTypes.Name, ClaimTypes.Role));
        context.Properties!.IsPersistent = true;
        Log.SignedIn(Logger(context.HttpContext), subject, admins.Contains(subject));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Re-validates a dashboard cookie made at the provider: false once <see cref="OidcOptions.SessionLifetime"/> has passed
    /// since the sign-in, when OIDC sign-in was switched off, or when the user's admin role no longer matches the settings.
    /// </summary>
    public static bool IsStillValid(ClaimsPrincipal principal, AuthOptions auth, DateTimeOffset now)
    {
        var signedIn = principal.FindFirst(AuthSchemes.OidcSignedInClaim)?.Value;
        if (!auth.Oidc.Enabled || !long.TryParse(signedIn, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }
        var subject = principal.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? "";
        return now < DateTimeOffset.FromUnixTimeSeconds(seconds) + auth.Oidc.SessionLifetime
            && principal.IsInRole(AuthSchemes.AdminRole) == auth.Oidc.Admins(auth.Jwt).Contains(subject);
    }

    /// <summary>The provider's answer was not accepted: the sign-in page again, saying why in words a person can act on.</summary>
    private static Task ShowFailureAsync(RemoteFailureContext context)
    {
        context.HandleResponse();
        Log.Refused(Logger(context.HttpContext), context.Failure?.GetType().Name ?? "", context.Failure?.Message ?? "");
        return WriteFailureAsync(context.HttpContext, context.Properties?.RedirectUri, Reason(context.Failure));
    }

    private static string Reason(Exception? failure) => failure switch
    {
        OpenIdConnectProtocolInvalidNonceException => "The identity provider's answer does not belong to the sign-in this browser started (nonce mismatch).",
        SecurityTokenInvalidIssuerException => "The identity provider's answer came from an unexpected issuer.",
        SecurityTokenInvalidAudienceException => "The identity provider's answer was issued for another application (audience).",
        SecurityTokenExpiredException or SecurityTokenNotYetValidException => "The identity provider's answer has expired or is not valid yet (check the clocks).",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The identity provider's answer is not signed by its published keys.",
        OpenIdConnectProtocolException => "The identity provider refused the sign-in or answered with an error.",
        AuthenticationFailureException when failure.Message.Contains("Correlation", StringComparison.OrdinalIgnoreCase)
            => "This browser did not start this sign-in, or it took too long. Start again from this page.",
        _ => "The identity provider's answer was not accepted.",
    };

    private static Task WriteFailureAsync(HttpContext context, string? redirectUri, string reason)
    {
        LoginEndpoints.NoStore(context);
        return LoginEndpoints.Page(context, StatusCodes.Status401Unauthorized, ReturnUrlOf(redirectUri),
            $"Sign-in with {context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<AuthOptions>>().Value.Oidc.DisplayName} failed: {reason} " +
            "Nothing was signed in. Try again, or paste an API key.").ExecuteAsync(context);
    }

    /// <summary>The returnUrl inside <c>/login/complete?returnUrl=…</c>, the RedirectUri a sign-in was started with.</summary>
    private static string? ReturnUrlOf(string? redirectUri) =>
        redirectUri is not null && Uri.TryCreate(new Uri("http://x"), redirectUri, out var uri)
            ? Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(uri.Query).GetValueOrDefault("returnUrl").ToString()
            : null;

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(OidcSignIn).FullName!);

    private static partial class Log
    {
        [LoggerMessage(EventId = 1850, Level = LogLevel.Information, Message = "Signed in {Subject} at the OIDC provider (admin: {Admin})")]
        public static partial void SignedIn(ILogger logger, string subject, bool admin);

        [LoggerMessage(EventId = 1851, Level = LogLevel.Warning, Message = "Refused an OIDC sign-in: {Failure}: {Detail}")]
        public static partial void Refused(ILogger logger, string failure, string detail);

        [LoggerMessage(EventId = 1852, Level = LogLevel.Warning, Message = "Could not start an OIDC sign-in: the provider's configuration could not be had: {Detail}")]
        public static partial void ProviderUnreachable(ILogger logger, string detail);
    }
}
