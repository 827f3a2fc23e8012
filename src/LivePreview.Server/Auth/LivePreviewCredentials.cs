namespace LivePreview.Auth;

/// <summary>
/// Credentials of LivePreview never reach a dev server (its code is the sandbox's, hostile by assumption): the
/// proxy takes the dashboard cookie (any name <see cref="HostPrefixCookieManager"/> gives it, and its chunks) out of
/// <c>Cookie</c>, and an <c>Authorization: Bearer</c> holding a LivePreview key (<c>lpk_…</c>) out of the request.
/// The grant cookie (<see cref="Grants.PreviewGrants.CookieName"/>) goes too, and so does a grant token in the query
/// (an upgrade is not exchanged, so it could still carry one). The app's own cookies and other Authorization headers
/// pass unchanged.
/// </summary>
internal static class LivePreviewCredentials
{
    public static void StripFrom(HttpRequestMessage proxyRequest)
    {
        StripGrantToken(proxyRequest);
        if (proxyRequest.Headers.Authorization is { } authorization
            && string.Equals(authorization.Scheme, "Bearer", StringComparison.OrdinalIgnoreCase)
            && authorization.Parameter?.Trim().StartsWith(ApiKeys.KeyPrefix, StringComparison.Ordinal) == true)
        {
            proxyRequest.Headers.Authorization = null;
        }
        if (!proxyRequest.Headers.TryGetValues("Cookie", out var values))
        {
            return;
        }
        var kept = values.SelectMany(v => v.Split(';'))
            .Select(c => c.Trim())
            .Where(c => c.Length > 0 && !IsLivePreviewCookie(c.Split('=', 2)[0].Trim()))
            .ToList();
        proxyRequest.Headers.Remove("Cookie");
        if (kept.Count > 0)
        {
            proxyRequest.Headers.TryAddWithoutValidation("Cookie", string.Join("; ", kept));
        }
    }

    private static void StripGrantToken(HttpRequestMessage proxyRequest)
    {
        if (proxyRequest.RequestUri is not { Query.Length: > 1 } uri
            || !uri.Query.Contains("livepreview", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        var kept = uri.Query[1..].Split('&').Where(p =>
            !Uri.UnescapeDataString(p.Split('=', 2)[0]).Equals(Grants.PreviewGrants.QueryParameter, StringComparison.OrdinalIgnoreCase));
        proxyRequest.RequestUri = new UriBuilder(uri) { Query = string.Join('&', kept) }.Uri;
    }

    private static bool IsLivePreviewCookie(string name) =>
        name == Grants.PreviewGrants.CookieName || IsDashboardCookie(name);

    private static bool IsDashboardCookie(string name)
    {
        var bare = name.StartsWith("__Host-", StringComparison.Ordinal) ? name["__Host-".Length..] : name;
        if (!bare.StartsWith(AuthExtensions.CookieName, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = bare[AuthExtensions.CookieName.Length..];
        // ChunkingCookieManager splits a large cookie into name, nameC1, nameC2, …
        return rest.Length == 0 || (rest[0] == 'C' && rest.Length > 1 && rest[1..].All(char.IsAsciiDigit));
    }
}
