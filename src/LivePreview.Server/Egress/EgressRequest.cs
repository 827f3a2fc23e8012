using System.Globalization;
using System.Net;
using System.Text;

namespace LivePreview.Egress;

/// <summary>
/// The head of one request to the proxy: <c>CONNECT host:port</c> (https and anything TLS), or a
/// plain-HTTP request in absolute form (<c>GET http://host/path</c>). Everything a sandbox sends is
/// hostile: the head is size-limited before it gets here, and names are checked character by character.
/// </summary>
internal sealed record EgressRequest(string Method, string Host, int Port, string? OriginForm, IReadOnlyList<string> Headers, string Version)
{
    private const int MaxHostLength = 253;

    public bool IsConnect => Method == "CONNECT";

    public EgressTarget Target => new(Host, Port);

    public static bool TryParse(string head, out EgressRequest request, out string error)
    {
        request = null!;
        var lines = head.Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts is not [var method, var target, var version] || !version.StartsWith("HTTP/1.", StringComparison.Ordinal) || method.Length == 0 || !method.All(char.IsAsciiLetterUpper))
        {
            error = "the request line is not an HTTP/1.x request";
            return false;
        }
        var headers = lines.Skip(1).Where(l => l.Length > 0).ToList();
        if (method == "CONNECT")
        {
            return TryParseAuthority(target, defaultPort: null, out var host, out var port, out error)
                && Done(new EgressRequest(method, host, port, null, headers, version), out request);
        }
        if (!target.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            error = target.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
                ? "https goes through CONNECT, not through a proxied request"
                : "only CONNECT and absolute http:// requests are proxied";
            return false;
        }
        var rest = target["http://".Length..];
        var slash = rest.IndexOfAny(['/', '?']);
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? "/" : rest[slash] == '?' ? "/" + rest[slash..] : rest[slash..];
        return TryParseAuthority(authority, defaultPort: 80, out var plainHost, out var plainPort, out error)
            && Done(new EgressRequest(method, plainHost, plainPort, path, headers, version), out request);
    }

    /// <summary>Lower-case, no trailing dot: the form names are compared in.</summary>
    public static string NormalizeHost(string host) => host.TrimEnd('.').ToLowerInvariant();

    /// <summary>The request as the origin server gets it: origin-form, no proxy headers, one request per connection.</summary>
    public byte[] ForOrigin()
    {
        var text = new StringBuilder($"{Method} {OriginForm} {Version}\r\n");
        foreach (var header in Headers)
        {
            var name = header.Split(':', 2)[0].Trim();
            if (!name.StartsWith("Proxy-", StringComparison.OrdinalIgnoreCase) && !name.Equals("Connection", StringComparison.OrdinalIgnoreCase)
                && !name.Equals("Keep-Alive", StringComparison.OrdinalIgnoreCase))
            {
                text.Append(header).Append("\r\n");
            }
        }
        text.Append("Connection: close\r\n\r\n");
        return Encoding.Latin1.GetBytes(text.ToString());
    }

    private static bool Done(EgressRequest parsed, out EgressRequest request)
    {
        request = parsed;
        return true;
    }

    private static bool TryParseAuthority(string authority, int? defaultPort, out string host, out int port, out string error)
    {
        (host, port, error) = ("", 0, "");
        string portText;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            host = close < 0 ? "" : authority[1..close];
            portText = close < 0 ? "" : authority[(close + 1)..].TrimStart(':');
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                error = "the target is not a valid [IPv6] address";
                return false;
            }
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = NormalizeHost(colon < 0 ? authority : authority[..colon]);
            portText = colon < 0 ? "" : authority[(colon + 1)..];
            if (host.Length is 0 or > MaxHostLength || !host.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.'))
            {
                error = "the target host is not a valid host name";
                return false;
            }
        }
        if (portText.Length == 0 && defaultPort is { } fallback)
        {
            port = fallback;
            return true;
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            error = "the target has no valid port";
            return false;
        }
        return true;
    }
}
