using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Auth;

/// <summary>
/// Every endpoint needs a signed-in user (the fallback policy) unless it says <c>AllowAnonymous</c>:
/// API keys as <c>Authorization: Bearer</c>, or the dashboard cookie made from one at <c>/login</c>.
/// Previews are answered by the proxy before any of this runs (their access is a later phase).
/// </summary>
public static class AuthExtensions
{
    public const string CookieName = "livepreview";

    public static IServiceCollection AddLivePreviewAuth(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidation>();
        services.TryAddSingleton<ApiKeys>();
        services.TryAddSingleton<LoginLinks>();
        services.TryAddSingleton<Audit>();
        services.AddHostedService<BootstrapAdmin>();

        services.AddAuthentication(AuthSchemes.Default)
            .AddPolicyScheme(AuthSchemes.Default, "API key, OIDC token or dashboard cookie", o => o.ForwardDefaultSelector = SelectScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(AuthSchemes.ApiKey, null)
            .AddScheme<AuthenticationSchemeOptions, ActingUserAuthenticationHandler>(AuthSchemes.Instance, null)
            .AddCookie(AuthSchemes.Cookie)
            .AddJwtBearer(AuthSchemes.Jwt);
        services.AddOptions<JwtBearerOptions>(AuthSchemes.Jwt).Configure<IOptions<AuthOptions>>((o, auth) => JwtTokens.Configure(o, auth.Value.Jwt));
        AddOidcSignIn(services);
        services.AddOptions<CookieAuthenticationOptions>(AuthSchemes.Cookie).Configure<IOptions<AuthOptions>>((o, auth) =>
        {
            o.Cookie.Name = CookieName;
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.CookieManager = new HostPrefixCookieManager();
            o.ExpireTimeSpan = auth.Value.CookieLifetime;
            o.SlidingExpiration = true;
            o.LoginPath = LoginEndpoints.LoginPath;
            o.ReturnUrlParameter = "returnUrl";
            o.Events = new CookieAuthenticationEvents
            {
                // Pages go to the sign-in page; the API, OpenAPI, metrics, sockets and the Blazor circuit get a 401 that says how.
                OnRedirectToLogin = context => IsPageRequest(context.Request)
                    ? RedirectToLogin(context)
                    : AuthProblems.UnauthorizedAsync(context.HttpContext),
                OnRedirectToAccessDenied = context => AuthProblems.ForbiddenAsync(context.HttpContext),
                OnValidatePrincipal = ValidateSignInAsync,
            };
        });

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(AuthSchemes.Default).RequireAuthenticatedUser().Build())
            .AddPolicy(AuthSchemes.AdminPolicy, p => p.AddAuthenticationSchemes(AuthSchemes.Default).RequireAuthenticatedUser().RequireRole(AuthSchemes.AdminRole));
        return services;
    }

    /// <summary>Authentication, the dashboard-origin check for cookie requests and sockets, then authorization.</summary>
    public static IApplicationBuilder UseLivePreviewAuth(this IApplicationBuilder app)
    {
        app.UseAuthentication();
        app.UseMiddleware<DashboardOriginCheck>();
        app.UseAuthorization();
        return app;
    }

    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        app.MapLoginEndpoints();
        app.MapKeysApi();
        return app;
    }

    /// <summary>
    /// The OpenIdConnect scheme exists only when <c>LivePreview:Auth:Oidc:Authority</c> is set: the authentication
    /// middleware asks every remote scheme about every request, and an unconfigured one would throw.
    /// </summary>
    private static void AddOidcSignIn(IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());
        services.AddOptions<AuthenticationOptions>().Configure<IOptions<AuthOptions>>((o, auth) =>
        {
            if (auth.Value.Oidc.Enabled)
            {
                o.AddScheme<OpenIdConnectHandler>(AuthSchemes.Oidc, auth.Value.Oidc.DisplayName);
            }
        });
        services.AddOptions<OpenIdConnectOptions>(AuthSchemes.Oidc)
            .Configure<IOptions<AuthOptions>>((o, auth) => OidcSignIn.Configure(o, auth.Value))
            .Validate(o =>
            {
                o.Validate(AuthSchemes.Oidc);
                return true;
            });
    }

    /// <summary>
    /// Every request re-checks the cookie: a key sign-in ends when its key is revoked; a sign-in at the OIDC provider
    /// (no key) ends after <see cref="OidcOptions.SessionLifetime"/> or when its admin role no longer matches the settings.
    /// </summary>
    private static async Task ValidateSignInAsync(CookieValidatePrincipalContext context)
    {
        if (context.Principal is not { } principal || !await IsSignInValidAsync(principal, context.HttpContext.RequestServices, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(AuthSchemes.Cookie);
        }
    }

    /// <summary>Whether a dashboard sign-in (a cookie's, or the user another instance acts for) still holds.</summary>
    internal static async Task<bool> IsSignInValidAsync(System.Security.Claims.ClaimsPrincipal principal, IServiceProvider services, CancellationToken cancellationToken)
    {
        var keyId = principal.FindFirst(AuthSchemes.KeyIdClaim)?.Value;
        return keyId is not null
            ? await services.GetRequiredService<ApiKeys>().IsActiveAsync(keyId, cancellationToken)
            : OidcSignIn.IsStillValid(principal, services.GetRequiredService<IOptions<AuthOptions>>().Value, services.GetRequiredService<TimeProvider>().GetUtcNow());
    }

    /// <summary>
    /// A user another instance acts for (its signature verified) → that user; bearer → a JWT goes to the OIDC handler when
    /// one is configured, anything else is an API key; no bearer → the cookie.
    /// </summary>
    private static string SelectScheme(HttpContext context)
    {
        if (context.Features.Get<ActingUserFeature>() is not null)
        {
            return AuthSchemes.Instance;
        }
        var token = AuthSchemes.BearerToken(context.Request);
        if (token is null)
        {
            return AuthSchemes.Cookie;
        }
        var jwt = context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value.Jwt;
        return jwt.Enabled && AuthSchemes.LooksLikeJwt(token) ? AuthSchemes.Jwt : AuthSchemes.ApiKey;
    }

    private static Task RedirectToLogin(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    private static bool IsPageRequest(HttpRequest request) =>
        HttpMethods.IsGet(request.Method)
        && !request.HttpContext.WebSockets.IsWebSocketRequest
        && !request.Path.StartsWithSegments("/api/v1")
        && !request.Path.StartsWithSegments("/openapi")
        && !request.Path.StartsWithSegments("/_blazor")
        && !request.Path.StartsWithSegments("/metrics")
        && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    /// <summary>Names what is wrong in the settings, not just that something is.</summary>
    private sealed class AuthOptionsValidation : IValidateOptions<AuthOptions>
    {
        public ValidateOptionsResult Validate(string? name, AuthOptions options) =>
            options.IsValid(out var error) ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(error);
    }
}
