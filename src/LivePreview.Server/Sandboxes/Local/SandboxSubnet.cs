using System.Globalization;
using System.Net;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// The /30 a sandbox's veth pair lives on. Sandbox number <see cref="Index"/> owns addresses
/// <c>4i .. 4i+3</c> of the /16 given by the prefix: network, host end, sandbox end, broadcast.
/// </summary>
internal sealed record SandboxSubnet(int Index, IPAddress Host, IPAddress Sandbox)
{
    public const int PrefixLength = 30;

    /// <summary>Sandboxes one /16 holds.</summary>
    public const int Capacity = 65536 / 4;

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
