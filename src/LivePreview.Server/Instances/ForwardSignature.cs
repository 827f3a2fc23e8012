using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace LivePreview.Instances;

/// <summary>
/// What makes a forwarded request believable: the sending instance's id, the time, the client's address and an
/// HMAC-SHA256 with the shared <see cref="InstanceOptions.Secret"/> over those and the request line and host. The owner
/// takes the client address from it (so a forwarded request is never "from loopback"), and a request that carries
/// these headers with a wrong or stale signature is refused — no client can pass for an instance.
/// </summary>
public sealed class ForwardSignature(IOptions<InstanceOptions> options, TimeProvider time)
{
    public const string InstanceHeader = "X-LivePreview-Instance";
    public const string TimeHeader = "X-LivePreview-Forwarded-At";
    public const string ClientHeader = "X-LivePreview-Client";
    public const string SignatureHeader = "X-LivePreview-Signature";

    /// <summary>How far apart two instances' clocks and a request's travel may be.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromSeconds(60);

    public static IReadOnlyList<string> Headers { get; } = [InstanceHeader, TimeHeader, ClientHeader, SignatureHeader];

    public static bool IsPresent(HttpRequest request) => Headers.Any(request.Headers.ContainsKey);

    /// <summary>The four headers for a request <paramref name="from"/> this instance.</summary>
    public IEnumerable<(string Name, string Value)> Sign(string from, string method, string host, string pathAndQuery, string client)
    {
        var at = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        yield return (InstanceHeader, from);
        yield return (TimeHeader, at);
        yield return (ClientHeader, client);
        yield return (SignatureHeader, Mac(from, at, method, host, pathAndQuery, client));
    }

    /// <summary>The client address the sender vouches for, or null with why the headers are not believed.</summary>
    public (string? Client, string? Refusal) Verify(HttpRequest request)
    {
        if (string.IsNullOrEmpty(options.Value.Secret))
        {
            return (null, $"This instance has no {InstanceOptions.Section}:Secret, so it takes no forwarded requests.");
        }
        var from = request.Headers[InstanceHeader].ToString();
        var at = request.Headers[TimeHeader].ToString();
        var client = request.Headers[ClientHeader].ToString();
        var signature = request.Headers[SignatureHeader].ToString();
        if (!long.TryParse(at, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || (time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799))).Duration() > MaxSkew)
        {
            return (null, "The forwarded request's time is missing or too far from this instance's clock.");
        }
        var expected = Mac(from, at, request.Method, request.Host.Value ?? "", request.Path.Value + request.QueryString.Value, client);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            return (null, "The forwarded request's signature does not match (the instances' secrets differ?).");
        }
        return (client, null);
    }

    private string Mac(string from, string at, string method, string host, string pathAndQuery, string client)
    {
        var key = Encoding.UTF8.GetBytes(options.Value.Secret ?? "");
        var message = Encoding.UTF8.GetBytes(string.Join('\n', from, at, method.ToUpperInvariant(), host, pathAndQuery, client));
        return Convert.ToBase64String(HMACSHA256.HashData(key, message)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
