using System.Buffers.Text;
using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LivePreview.Auth;

/// <summary>
/// A dashboard user as one instance tells another it acts for them (<see cref="Instances.ForwardSignature.ActingUserHeader"/>,
/// under the instances' MAC): the claims a sign-in has and nothing else — who, whether admin, and what the sign-in rests on
/// (its API key's id, or when it signed in at the OIDC provider), so the receiving instance re-checks that sign-in exactly
/// as it re-checks a cookie. Base64url of a small JSON object: a header value, never parsed by anything but <see cref="TryDecode"/>.
/// </summary>
public static partial class ActingUser
{
    /// <summary>Longer than any real user's claims; a larger header is refused before it is parsed.</summary>
    public const int MaxEncodedLength = 4096;

    public static string Encode(ClaimsPrincipal user)
    {
        var claims = new Claims(
            user.FindFirst(ClaimTypes.NameIdentifier)?.Value ?? throw new InvalidOperationException("The user has no identifier to act for."),
            user.FindFirst(ClaimTypes.Name)?.Value,
            user.IsInRole(AuthSchemes.AdminRole),
            user.FindFirst(AuthSchemes.KeyIdClaim)?.Value,
            user.FindFirst(AuthSchemes.OidcSignedInClaim)?.Value);
        return Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims, ClaimsContext.Default.Claims));
    }

    /// <summary>The principal of <paramref name="encoded"/> for <paramref name="scheme"/>, or null when it is not one <see cref="Encode"/> made.</summary>
    public static ClaimsPrincipal? TryDecode(string encoded, string scheme)
    {
        if (encoded.Length is 0 or > MaxEncodedLength)
        {
            return null;
        }
        Claims? claims;
        try
        {
            claims = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(encoded), ClaimsContext.Default.Claims);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
        if (claims is not { User.Length: > 0 } || (claims.Key is null) == (claims.OidcSignedIn is null))
        {
            return null;
        }
        var identity = new ClaimsIdentity(scheme);
        identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, claims.User));
        identity.AddClaim(new Claim(ClaimTypes.Name, claims.Name ?? claims.User));
        if (claims.Admin)
        {
            identity.AddClaim(new Claim(ClaimTypes.Role, AuthSchemes.AdminRole));
        }
        identity.AddClaim(claims.Key is { } key ? new Claim(AuthSchemes.KeyIdClaim, key) : new Claim(AuthSchemes.OidcSignedInClaim, claims.OidcSignedIn!));
        return new ClaimsPrincipal(identity);
    }

    internal sealed record Claims(
        [property: JsonPropertyName("user")] string User,
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("admin")] bool Admin,
        [property: JsonPropertyName("key")] string? Key,
        [property: JsonPropertyName("oidc_signed_in")] string? OidcSignedIn);

    [JsonSerializable(typeof(Claims))]
    internal sealed partial class ClaimsContext : JsonSerializerContext;
}
