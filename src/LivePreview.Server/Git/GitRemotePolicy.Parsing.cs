using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace LivePreview.Git;

/// <summary>Strict parsing of remote URLs: only what these patterns accept reaches git, re-written from its parts.</summary>
public sealed partial class GitRemotePolicy
{
    /// <summary>Lower-case host without a trailing dot, checked for numeric IPv4 spellings (2130706433, 0x7f.1, 0177.0.0.1) that curl and ssh would accept.</summary>
    private static (string Host, int? Port) Authority(Match match)
    {
        var host = match.Groups["host"].Value.ToLowerInvariant();
        if (host.StartsWith('['))
        {
            var inner = host[1..^1];
            if (inner.Contains('%') || !IPAddress.TryParse(inner, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
            {
                throw Refused($"'{host}' is not a valid IPv6 address (zone ids are refused).");
            }
            host = v6.ToString();
        }
        else
        {
            host = host.TrimEnd('.');
            var last = host[(host.LastIndexOf('.') + 1)..];
            if (NumericLabel().IsMatch(last) && !(IPAddress.TryParse(host, out var v4) && v4.AddressFamily == AddressFamily.InterNetwork && v4.ToString() == host))
            {
                throw Refused($"'{host}' is not a host name or a plain IPv4 address; write IPv4 addresses as four decimal numbers (a.b.c.d).");
            }
        }
        int? port = null;
        if (match.Groups["port"].Success)
        {
            port = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (port is < 1 or > 65535)
            {
                throw Refused($"Port {port} is out of range.");
            }
        }
        return (host, port);
    }

    private static string Bracketed(string host) => host.Contains(':') ? $"[{host}]" : host;

    private static string AuthorityOf(string url)
    {
        var rest = url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..];
        var end = rest.IndexOfAny(['/', '?', '#']);
        return end < 0 ? rest : rest[..end];
    }

    [GeneratedRegex(@"^[A-Za-z0-9+.-]+::")]
    private static partial Regex TransportHelper();

    private const string HostPattern = @"(?<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9.])?|\[[0-9A-Fa-f:.%A-Za-z]+\])";

    private const string UserPattern = @"(?:(?<user>[A-Za-z0-9_][A-Za-z0-9._-]*)@)?";

    [GeneratedRegex(@"^(?<scheme>[Hh][Tt][Tt][Pp][Ss]?)://" + HostPattern + @"(?::(?<port>[0-9]{1,5}))?(?<path>/[^\s\\?#%@]*)?$")]
    private static partial Regex HttpsUrl();

    [GeneratedRegex(@"^ssh://" + UserPattern + HostPattern + @"(?::(?<port>[0-9]{1,5}))?(?<path>/[^\s\\?#%]*)$")]
    private static partial Regex SshUrl();

    [GeneratedRegex(@"^" + UserPattern + HostPattern + @":(?<path>[^\s\\]+)$")]
    private static partial Regex ScpRemote();

    [GeneratedRegex(@"^(?:[0-9]+|0[xX][0-9A-Fa-f]*)$")]
    private static partial Regex NumericLabel();
}
