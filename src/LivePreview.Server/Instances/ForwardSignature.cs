using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace LivePreview.Instances;

/// <summary>
/// What makes a forwarded request believable: the sending instance's id, the time, the client's address and an
/// HMAC-SHA256 with the shared <see cref="InstanceOptions.Secret"/> over those and the request line and host. The owner
/// takes the client address from it (so a forwarded request is never "from loopback"), and a request that carries
/// these headers with a wrong or stale signature is refused — no client can pass for an instance. A request an instance
/// makes for a dashboard user (<see cref="InstanceClient"/>) also carries <see cref="ActingUserHeader"/>, the user it acts
/// for, under the same MAC: only an instance can say who a request is for without that user's key.
/// </summary>
public sealed class ForwardSignature(IOptions<InstanceOptions> options, TimeProvider time)
{
    public const string InstanceHeader = "X-LivePreview-Instance";
    public const string TimeHeader = "X-LivePreview-Forwarded-At";
    public const string ClientHeader = "X-LivePreview-Client";
    public const string SignatureHeader = "X-LivePreview-Signature";
    public const string ActingUserHeader = "X-LivePreview-Acting-User";

    /// <summary>How far apart two instances' clocks and a request's travel may be.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromSeconds(60);

    public static IReadOnlyList<string> Headers { get; } = [InstanceHeader, TimeHeader, ClientHeader, SignatureHeader, ActingUserHeader];

    public static bool IsPresent(HttpRequest request) => Headers.Any(request.Headers.ContainsKey);

    /// <summary>
    /// The headers for a request <paramref name="from"/> this instance; <paramref name="actingUser"/> (an encoded
    /// <see cref="Auth.ActingUser"/>) when the instance acts for a dashboard user rather than forwarding a client's request.
    /// </summary>
    public IEnumerable<(string Name, string Value)> Sign(string from, string method, string host, string pathAndQuery, string client, string? actingUser = null)
    {
        var at = time.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        yield return (InstanceHeader, from);
        yield return (TimeHeader, at);
        yield return (ClientHeader, client);
        if (!string.IsNullOrEmpty(actingUser))
        {
            yield return (ActingUserHeader, actingUser);
        }
        yield return (SignatureHeader, Mac(from, at, method, host, pathAndQuery, client, actingUser ?? ""));
    }

    /// <summary>
    /// The client address the sender vouches for and the user it acts for (null: none, the request's own credentials
    /// count), or a refusal saying why the headers are not believed.
    /// </summary>
    public (string? Client, string? ActingUser, string? Refusal) Verify(HttpRequest request)
    {
        if (string.IsNullOrEmpty(options.Value.Secret))
        {
            return (null, null, $"This instance has no {InstanceOptions.Section}:Secret, so it takes no forwarded requests.");
        }
        var from = request.Headers[InstanceHeader].ToString();
        var at = request.Headers[TimeHeader].ToString();
        var client = request.Headers[ClientHeader].ToString();
        var actingUser = request.Headers[ActingUserHeader].ToString();
        var signature = request.Headers[SignatureHeader].ToString();
        if (!long.TryParse(at, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || (time.GetUtcNow() - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799))).Duration() > MaxSkew)
        {
            return (null, null, "The forwarded request's time is missing or too far from this instance's clock.");
        }
        var expected = Mac(from, at, request.Method, request.Host.Value ?? "", request.Path.Value + request.QueryString.Value, client, actingUser);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature)))
        {
            return (null, null, "The forwarded request's signature does not match (the instances' secrets differ?).");
        }
        return (client, actingUser.Length == 0 ? null : actingUser, null);
    }

    private string Mac(string from, string at, string method, string host, string pathAndQuery, string client, string actingUser)
    {
        var key = Encoding.UTF8.GetBytes(options.Value.Secret ?? "");
        // Each field with its length first: a path may hold any character (a decoded %0A too), so no separator alone
        // could keep one request's fields from reading as another's.
        var message = Encoding.UTF8.GetBytes(string.Concat(new[] { from, at, method.ToUpperInvariant(), host, pathAndQuery, client, actingUser }
            .Select(field => field.Length.ToString(CultureInfo.InvariantCulture) + ":" + field + "\n")));
        return Convert.ToBase64String(HMACSHA256.HashData(key, message)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
