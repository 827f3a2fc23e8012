using System.Text;

namespace LivePreview.Metrics;

/// <summary>
/// A repository as a metric tag: <c>host/owner/name</c>, without scheme, user, password, token, port, query, fragment or
/// <c>.git</c>; a local remote is <c>local/&lt;folder name&gt;</c> (the host's own paths stay out of /metrics). At most
/// <see cref="MaxLength"/> characters of letters, digits and <c>. _ - /</c>.
/// </summary>
public static class RepositoryTag
{
    public const int MaxLength = 100;

    public const string Other = "other";

    public static string Normalize(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var text = url.Trim();
        var cut = text.IndexOfAny(['?', '#']);
        if (cut >= 0)
        {
            text = text[..cut];
        }
        var (host, path) = Split(text);
        path = path.Trim('/');
        if (path.EndsWith(".git", StringComparison.OrdinalIgnoreCase))
        {
            path = path[..^4];
        }
        return Clean(path.Length == 0 ? host : $"{host}/{path}");
    }

    private static (string Host, string Path) Split(string text)
    {
        var scheme = text.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0)
        {
            // Credentials end at the last '@' even when they hold an unencoded '/' (nothing before it may reach a tag).
            var rest = text[(scheme + 3)..];
            rest = rest[(rest.LastIndexOf('@') + 1)..];
            if (text[..scheme].Equals("file", StringComparison.OrdinalIgnoreCase))
            {
                return Local(rest);
            }
            var slash = rest.IndexOf('/');
            var authority = slash < 0 ? rest : rest[..slash];
            return (Host(authority), slash < 0 ? "" : rest[slash..]);
        }
        var colon = text.IndexOf(':');
        if (colon > 0 && !text.StartsWith('/') && text.IndexOf('/') is var firstSlash && (firstSlash < 0 || colon < firstSlash))
        {
            // scp-like ssh: [user@]host:owner/name.git
            return (Host(text[..colon]), text[(colon + 1)..]);
        }
        return Local(text);
    }

    /// <summary>The last folder only: a local remote's path says where the host keeps things, which a tag must not.</summary>
    private static (string, string) Local(string path) => ("local", Path.GetFileName(path.TrimEnd('/')));

    /// <summary>What follows the last <c>@</c> (user:password@ and token@ go), without the port.</summary>
    private static string Host(string authority)
    {
        var host = authority[(authority.LastIndexOf('@') + 1)..];
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']');
            return (close < 0 ? host : host[..(close + 1)]).ToLowerInvariant();
        }
        var port = host.IndexOf(':');
        return (port < 0 ? host : host[..port]).TrimEnd('.').ToLowerInvariant();
    }

    private static string Clean(string tag)
    {
        var clean = new StringBuilder(Math.Min(tag.Length, MaxLength));
        foreach (var c in tag)
        {
            if (clean.Length == MaxLength)
            {
                break;
            }
            clean.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/' ? c : '_');
        }
        return clean.Length == 0 ? Other : clean.ToString();
    }
}

/// <summary>
/// The first <c>max</c> distinct repositories keep their own tag for the life of the process; later ones share
/// <see cref="RepositoryTag.Other"/>, so the series count of a metric tagged by repository stays bounded.
/// </summary>
public sealed class RepositoryTags(int max)
{
    private readonly Lock _gate = new();
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);

    public string Of(string url)
    {
        var tag = RepositoryTag.Normalize(url);
        lock (_gate)
        {
            if (_known.Contains(tag))
            {
                return tag;
            }
            if (_known.Count < max && tag != RepositoryTag.Other)
            {
                _known.Add(tag);
                return tag;
            }
        }
        return RepositoryTag.Other;
    }
}
