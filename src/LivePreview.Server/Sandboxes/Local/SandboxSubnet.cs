using System.Globalization;
using System.Net;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// The addresses of sandbox number <see cref="Index"/>: the block <c>4i .. 4i+3</c> of the /16 given by the prefix.
/// The sandbox end of its veth holds <see cref="Sandbox"/> (a /32); <see cref="Host"/> is reserved but no longer
/// configured (sandboxes made before the unnumbered layout had it on their host end, and still work). The host end
/// holds no address at all: the host reaches the sandbox by a /32 route through the veth, from
/// <see cref="HostAddress"/>, the one address of the whole prefix (on <c>lo</c>, in the last block, never a sandbox's).
/// </summary>
internal sealed record SandboxSubnet(int Index, IPAddress Host, IPAddress Sandbox)
{
    public const int PrefixLength = 30;

    /// <summary>Blocks in one /16.</summary>
    public const int Capacity = 65536 / 4;

    /// <summary>Sandboxes one /16 holds: every block but the last, whose host address is <see cref="HostAddress"/>.</summary>
    public const int Usable = Capacity - 1;

    /// <summary>The host's source address towards every sandbox of <paramref name="prefix"/> (e.g. 10.213.255.253).</summary>
    public static IPAddress HostAddress(string prefix) => For(prefix, Capacity - 1).Host;

    /// <summary>
    /// Fixed hardware addresses of the veth pair (locally administered; each pair is its own link, so only the two ends
    /// must differ): both ends get permanent neighbour entries, so no ARP is needed and none can be spoofed.
    /// </summary>
    public (string HostEnd, string SandboxEnd) LinkAddresses() =>
        (Mac(1), Mac(2));

    private string Mac(int end) => string.Create(CultureInfo.InvariantCulture, $"02:4c:50:{Index >> 8:x2}:{Index & 0xff:x2}:{end:x2}");

    public static SandboxSubnet For(string prefix, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Capacity);
        var octets = ParsePrefix(prefix);
        return new SandboxSubnet(index, Address(octets, index * 4 + 1), Address(octets, index * 4 + 2));
    }

    public static bool IsValidPrefix(string? prefix)
    {
        var parts = prefix?.Split('.') ?? [];
        return parts.Length == 2 && parts.All(p => byte.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _));
    }

    private static byte[] ParsePrefix(string prefix) =>
        IsValidPrefix(prefix)
            ? prefix.Split('.').Select(p => byte.Parse(p, CultureInfo.InvariantCulture)).ToArray()
            : throw new ArgumentException($"'{prefix}' is not a two-octet prefix such as '10.213'.", nameof(prefix));

    private static IPAddress Address(byte[] prefix, int offset) =>
        new([prefix[0], prefix[1], (byte)(offset >> 8), (byte)(offset & 0xff)]);
}
