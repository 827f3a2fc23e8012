using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LivePreview.Auth;

/// <summary><c>Authorization: Bearer &lt;key&gt;</c> against the stored key hashes; no header is no result (another scheme may apply).</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeys keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var token = AuthSchemes.BearerToken(Request);
        if (token is null)
        {
            return AuthenticateResult.NoResult();
        }
        var key = await keys.FindActiveAsync(token, Context.RequestAborted);
        return key is null
            ? AuthenticateResult.Fail("Unknown or revoked API key.")
            : AuthenticateResult.Success(new AuthenticationTicket(AuthSchemes.Principal(key, Scheme.Name), Scheme.Name));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var token = AuthSchemes.BearerToken(Request);
        return AuthProblems.UnauthorizedAsync(Context, token is null
            ? null
            : "The API key in the Authorization header is unknown or was revoked. Ask an admin for a key (POST /api/v1/keys).");
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AuthProblems.ForbiddenAsync(Context);
}
