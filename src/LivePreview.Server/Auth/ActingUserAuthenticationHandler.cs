using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LivePreview.Auth;

/// <summary>
/// The user another instance acts for (<see cref="ActingUserFeature"/>, set by the instance forwarding middleware only
/// after the request's MAC was verified): signed in as that user if their sign-in still holds here — the same check a
/// dashboard cookie gets on every request (<see cref="AuthExtensions.IsSignInValidAsync"/>), so a revoked key or an
/// ended OIDC session ends the acting too.
/// </summary>
internal sealed class ActingUserAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Context.Features.Get<ActingUserFeature>() is not { } acting)
        {
            return AuthenticateResult.NoResult();
        }
        if (ActingUser.TryDecode(acting.Encoded, Scheme.Name) is not { } principal)
        {
            return AuthenticateResult.Fail("The acting user of the instance's request cannot be read.");
        }
        return await AuthExtensions.IsSignInValidAsync(principal, Context.RequestServices, Context.RequestAborted)
            ? AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name))
            : AuthenticateResult.Fail("The acting user's sign-in has ended (key revoked or session expired).");
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        AuthProblems.UnauthorizedAsync(Context, "Your sign-in has ended (its key was revoked, or the session expired); sign in again.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) => AuthProblems.ForbiddenAsync(Context);
}

/// <summary>The encoded <see cref="ActingUser"/> of a request whose instance signature was verified.</summary>
public sealed record ActingUserFeature(string Encoded);
