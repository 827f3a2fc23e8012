using System.Net;
using System.Net.Sockets;

namespace LivePreview.Git;

/// <summary>Which addresses count as "public": everything but loopback, link-local, private, shared, documentation, multicast and reserved ranges.</summary>
public static class GitAddresses
{
    private static readonly (IPAddress Network, int Bits, string Why)[] V4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8, "a 'this network' address"),
        (IPAddress.Parse("10.0.0.0"), 8, "a private (RFC 1918) address"),
        (IPAddress.Parse("100.64.0.0"), 10, "a shared (CGNAT) address"),
        (IPAddress.Parse("127.0.0.0"), 8, "a loopback address"),
        (IPAddress.Parse("169.254.0.0"), 16, "a link-local address"),
        (IPAddress.Parse("172.16.0.0"), 12, "a private (RFC 1918) address"),
        (IPAddress.Parse("192.0.0.0"), 24, "an IETF protocol address"),
        (IPAddress.Parse("192.0.2.0"), 24, "a documentation address"),
        (IPAddress.Parse("192.88.99.0"), 24, "a 6to4 relay address"),
        (IPAddress.Parse("192.168.0.0"), 16, "a private (RFC 1918) address"),
        (IPAddress.Parse("198.18.0.0"), 15, "a benchmarking address"),
        (IPAddress.Parse("198.51.100.0"), 24, "a documentation address"),
        (IPAddress.Parse("203.0.113.0"), 24, "a documentation address"),
        (IPAddress.Parse("224.0.0.0"), 4, "a multicast address"),
        (IPAddress.Parse("240.0.0.0"), 4, "a reserved address"),
    ];

    private static readonly (IPAddress Network, int Bits, string Why)[] V6 =
    [
        (IPAddress.Parse("::"), 96, "an unspecified or IPv4-compatible address"),
        (IPAddress.Parse("100::"), 64, "a discard-only address"),
        (IPAddress.Parse("2001::"), 32, "a Teredo address"),
        (IPAddress.Parse("2001:db8::"), 32, "a documentation address"),
        (IPAddress.Parse("fc00::"), 7, "a unique local (ULA) address"),
        (IPAddress.Parse("fe80::"), 10, "a link-local address"),
        (IPAddress.Parse("fec0::"), 10, "a site-local address"),
        (IPAddress.Parse("ff00::"), 8, "a multicast address"),
    ];

    /// <summary>Why <paramref name="address"/> is not public, or null when it is.</summary>
    public static string? NonPublicReason(IPAddress address)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.ScopeId != 0 || IPAddress.IPv6Loopback.Equals(address))
            {
                return address.ScopeId != 0 ? "a scoped (link-local) address" : "a loopback address";
            }
            // Addresses that carry an IPv4 address are judged by it: mapped (::ffff:a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16).
            if (Embedded(address) is { } v4)
            {
                return NonPublicReason(v4);
            }
            return V6.FirstOrDefault(r => InRange(address, r.Network, r.Bits)).Why;
        }
        return V4.FirstOrDefault(r => InRange(address, r.Network, r.Bits)).Why;
    }

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
        for (var i = 0; i < bits / 8; i++)
        {
            if (a[i] != n[i])
            {
                return false;
            }
        }
        var rest = bits % 8;
        return rest == 0 || (a[bits / 8] >> (8 - rest)) == (n[bits / 8] >> (8 - rest));
    }
}
