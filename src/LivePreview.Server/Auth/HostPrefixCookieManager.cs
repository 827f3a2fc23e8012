using Microsoft.AspNetCore.Authentication.Cookies;

namespace LivePreview.Auth;

/// <summary>
/// The dashboard cookie is <c>__Host-livepreview</c> over https (Secure, Path=/, no Domain: the browser keeps it
/// to this exact host). On plain http a <c>__Host-</c> cookie would need Secure, which a browser refuses on
/// http other than localhost; there it is <c>livepreview</c>, still host-only (no Domain), HttpOnly and SameSite=Strict.
/// </summary>
internal sealed class HostPrefixCookieManager : ICookieManager
{
    private const string HostPrefix = "__Host-";

    private readonly ChunkingCookieManager _inner = new();

    public string? GetRequestCookie(HttpContext context, string key) => _inner.GetRequestCookie(context, Name(context, key));

    public void AppendResponseCookie(HttpContext context, string key, string? value, CookieOptions options)
    {
        options.Domain = null;
        options.Path = "/";
        options.Secure = context.Request.IsHttps;
        _inner.AppendResponseCookie(context, Name(context, key), value, options);
    }

    public void DeleteCookie(HttpContext context, string key, CookieOptions options)
    {
        options.Domain = null;
        options.Path = "/";
        options.Secure = context.Request.IsHttps;
        _inner.DeleteCookie(context, Name(context, key), options);
    }

    public static string Name(HttpContext context, string key) => context.Request.IsHttps ? HostPrefix + key : key;
}
