using System.Net;
using System.Net.Sockets;

namespace LivePreview.Egress;

/// <summary>
/// Which resolved addresses the proxy may connect to: public unicast only. Loopback, private, shared
/// (CGNAT), link-local (cloud metadata), multicast and reserved ranges are refused even for a granted
/// name, so a name that resolves (or is rebound) to the host or its network leads nowhere.
/// </summary>
/// <remarks>
/// The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) are not refused: they are
/// not the host's or its network's, and some networks (the machine this was developed on among them) serve a registry
/// mirror from one of them.
/// </remarks>
internal static class EgressAddresses
{
    private static readonly (IPAddress Network, int Prefix)[] RefusedV4 =
    [
        (IPAddress.Parse("0.0.0.0"), 8), (IPAddress.Parse("10.0.0.0"), 8), (IPAddress.Parse("100.64.0.0"), 10),
        (IPAddress.Parse("127.0.0.0"), 8), (IPAddress.Parse("169.254.0.0"), 16), (IPAddress.Parse("172.16.0.0"), 12),
        (IPAddress.Parse("192.0.0.0"), 24), (IPAddress.Parse("192.88.99.0"), 24),
        (IPAddress.Parse("192.168.0.0"), 16), (IPAddress.Parse("198.18.0.0"), 15),
        (IPAddress.Parse("224.0.0.0"), 4), (IPAddress.Parse("240.0.0.0"), 4),
    ];

    private static readonly (IPAddress Network, int Prefix)[] RefusedV6 =
    [
        (IPAddress.Parse("::"), 96), (IPAddress.Parse("64:ff9b:1::"), 48), (IPAddress.Parse("100::"), 64), (IPAddress.Parse("2001::"), 23),
        (IPAddress.Parse("fc00::"), 7), (IPAddress.Parse("fe80::"), 10), (IPAddress.Parse("fec0::"), 10),
        (IPAddress.Parse("ff00::"), 8),
    ];

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return IsPublic(address.MapToIPv4());
        }
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return !RefusedV4.Any(r => InNetwork(address, r.Network, r.Prefix));
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6 || RefusedV6.Any(r => InNetwork(address, r.Network, r.Prefix)))
        {
            return false;
        }
        // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4 address, which must be public too.
        var bytes = address.GetAddressBytes();
        if (InNetwork(address, IPAddress.Parse("64:ff9b::"), 96))
        {
            return IsPublic(new IPAddress(bytes[12..16]));
        }
        return !InNetwork(address, IPAddress.Parse("2002::"), 16) || IsPublic(new IPAddress(bytes[2..6]));
    }

    private static bool InNetwork(IPAddress address, IPAddress network, int prefix)
    {
        if (address.AddressFamily != network.AddressFamily)
        {
            return false;
        }
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        var full = prefix / 8;
        if (!a.AsSpan(0, full).SequenceEqual(n.AsSpan(0, full)))
        {
            return false;
        }
        var bits = prefix % 8;
        return bits == 0 || (a[full] >> (8 - bits)) == (n[full] >> (8 - bits));
    }
}
