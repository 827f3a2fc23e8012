using System.Net;
using System.Net.Sockets;

namespace LivePreview.Network;

/// <summary>
/// Which addresses count as "public" for the host to connect to on a sandbox's or a request's behalf
/// (git remotes, the egress proxy): everything but loopback, link-local (cloud metadata), private,
/// shared (CGNAT), documentation, multicast and reserved ranges. Addresses that carry an IPv4 address
/// (IPv4-mapped, NAT64, 6to4) are judged by it, so no spelling of an address leads to the host.
/// </summary>
public static class PublicAddresses
{
    private const string Documentation = "a documentation address";

    private static readonly (IPAddress Network, int Bits, string Why)[] V4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8, "a 'this network' address"),
        (IPAddress.Parse("10.0.0.0"), 8, "a private (RFC 1918) address"),
        (IPAddress.Parse("100.64.0.0"), 10, "a shared (CGNAT) address"),
        (IPAddress.Parse("127.0.0.0"), 8, "a loopback address"),
        (IPAddress.Parse("169.254.0.0"), 16, "a link-local address"),
        (IPAddress.Parse("172.16.0.0"), 12, "a private (RFC 1918) address"),
        (IPAddress.Parse("192.0.0.0"), 24, "an IETF protocol address"),
        (IPAddress.Parse("192.0.2.0"), 24, Documentation),
        (IPAddress.Parse("192.88.99.0"), 24, "a 6to4 relay address"),
        (IPAddress.Parse("192.168.0.0"), 16, "a private (RFC 1918) address"),
        (IPAddress.Parse("198.18.0.0"), 15, "a benchmarking address"),
        (IPAddress.Parse("198.51.100.0"), 24, Documentation),
        (IPAddress.Parse("203.0.113.0"), 24, Documentation),
        (IPAddress.Parse("224.0.0.0"), 4, "a multicast address"),
        (IPAddress.Parse("240.0.0.0"), 4, "a reserved address"),
    ];

    private static readonly (IPAddress Network, int Bits, string Why)[] V6 =
    [
        (IPAddress.Parse("::"), 96, "an unspecified or IPv4-compatible address"),
        (IPAddress.Parse("64:ff9b:1::"), 48, "a local-use NAT64 address"),
        (IPAddress.Parse("100::"), 64, "a discard-only address"),
        (IPAddress.Parse("2001::"), 23, "an IETF protocol address (Teredo among them)"),
        (IPAddress.Parse("2001:db8::"), 32, Documentation),
        (IPAddress.Parse("fc00::"), 7, "a unique local (ULA) address"),
        (IPAddress.Parse("fe80::"), 10, "a link-local address"),
        (IPAddress.Parse("fec0::"), 10, "a site-local address"),
        (IPAddress.Parse("ff00::"), 8, "a multicast address"),
    ];

    /// <summary>
    /// Why <paramref name="address"/> is not public, or null when it is. <paramref name="documentationIsPublic"/>
    /// lets the documentation ranges through (the egress proxy does: they are not the host's or its
    /// network's, and some networks serve package-registry mirrors from them).
    /// </summary>
    public static string? NonPublicReason(IPAddress address, bool documentationIsPublic = false)
    {
        ArgumentNullException.ThrowIfNull(address);
        string? why;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.ScopeId != 0)
            {
                return "a scoped (link-local) address";
            }
            if (IPAddress.IPv6Loopback.Equals(address))
            {
                return "a loopback address";
            }
            if (Embedded(address) is { } v4)
            {
                return NonPublicReason(v4, documentationIsPublic);
            }
            why = V6.FirstOrDefault(r => InRange(address, r.Network, r.Bits)).Why;
        }
        else if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            why = V4.FirstOrDefault(r => InRange(address, r.Network, r.Bits)).Why;
        }
        else
        {
            return "not an IP address";
        }
        return documentationIsPublic && why == Documentation ? null : why;
    }

    public static bool IsPublic(IPAddress address, bool documentationIsPublic = false) =>
        NonPublicReason(address, documentationIsPublic) is null;

    /// <summary>The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96) or 6to4 (2002::/16) address.</summary>
    private static IPAddress? Embedded(IPAddress v6)
    {
        if (v6.IsIPv4MappedToIPv6)
        {
            return v6.MapToIPv4();
        }
        var b = v6.GetAddressBytes();
        if (InRange(v6, IPAddress.Parse("64:ff9b::"), 96))
        {
            return new IPAddress(b[12..16]);
        }
        return b[0] == 0x20 && b[1] == 0x02 ? new IPAddress(b[2..6]) : null;
    }

    private static bool InRange(IPAddress address, IPAddress network, int bits)
    {
        if (address.AddressFamily != network.AddressFamily)
        {
            return false;
        }
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        var full = bits / 8;
        if (!a.AsSpan(0, full).SequenceEqual(n.AsSpan(0, full)))
        {
            return false;
        }
        var rest = bits % 8;
        return rest == 0 || (a[full] >> (8 - rest)) == (n[full] >> (8 - rest));
    }
}
