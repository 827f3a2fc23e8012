using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;

namespace LivePreview.Auth;

/// <summary>
/// Access tokens of an OIDC provider (<c>LivePreview:Auth:Jwt</c>) through the standard JwtBearer handler: signing keys
/// from the authority's discovery document, issuer, audience and lifetime checked by it. The user is the token's
/// subject (<c>sub</c>); subjects listed in <see cref="JwtOptions.AdminSubjects"/> are admins.
/// </summary>
internal static class JwtTokens
{
    public static void Configure(JwtBearerOptions o, JwtOptions jwt)
    {
        o.Authority = jwt.Authority;
        o.Audience = jwt.Audience;
        o.RequireHttpsMetadata = jwt.RequireHttpsMetadata;
        o.MapInboundClaims = false;
        o.TokenValidationParameters.NameClaimType = "sub";
        o.TokenValidationParameters.RoleClaimType = ClaimTypes.Role;
        var admins = jwt.AdminSubjects.ToHashSet(StringComparer.Ordinal);
        o.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                var subject = context.Principal?.FindFirst("sub")?.Value;
                if (string.IsNullOrEmpty(subject))
                {
                    context.Fail("The token has no subject (sub).");
                    return Task.CompletedTask;
                }
                var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, subject) };
                if (admins.Contains(subject))
                {
                    claims.Add(new Claim(ClaimTypes.Role, AuthSchemes.AdminRole));
                }
                context.Principal!.AddIdentity(new ClaimsIdentity(claims));
                return Task.CompletedTask;
            },
            OnChallenge = async context =>
            {
                context.HandleResponse();
                await AuthProblems.UnauthorizedAsync(context.HttpContext,
                    "The bearer token was not accepted (signature, issuer, audience or expiry). Get a new token from the identity provider, or use an API key.");
            },
            OnForbidden = context => AuthProblems.ForbiddenAsync(context.HttpContext),
        };
    }
}
