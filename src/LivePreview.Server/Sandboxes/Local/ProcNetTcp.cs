using System.Globalization;
using System.Net;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Reads the listening sockets out of <c>/proc/net/tcp</c> and <c>/proc/net/tcp6</c> text. Lines look like
/// <c>0: 0100007F:0FA0 00000000:0000 0A …</c>: the local address as the kernel's in-memory words printed in hex (so
/// byte-swapped on little-endian machines), the port in host order, then the state (<c>0A</c> = LISTEN). The text is the
/// kernel's, but it is parsed as if it were not: a line that does not have this shape is skipped, never thrown on.
/// </summary>
internal static class ProcNetTcp
{
    private const string ListenState = "0A";

    public static List<ListeningSocket> ParseListeners(ReadOnlySpan<char> text)
    {
        var found = new List<ListeningSocket>();
        foreach (var line in text.EnumerateLines())
        {
            if (TryParseListener(line, out var socket))
            {
                found.Add(socket);
            }
        }
        return found;
    }

    /// <summary>One line; false for the header, another state or anything malformed.</summary>
    public static bool TryParseListener(ReadOnlySpan<char> line, out ListeningSocket socket)
    {
        socket = null!;
        Span<Range> fields = stackalloc Range[5];
        var trimmed = line.Trim();
        // sl, local_address, rem_address, st (and the rest, kept in the fifth range unsplit).
        var count = trimmed.SplitAny(fields, " \t", StringSplitOptions.RemoveEmptyEntries);
        if (count < 4 || !trimmed[fields[0]].EndsWith(':') || !trimmed[fields[3]].SequenceEqual(ListenState))
        {
            return false;
        }
        var local = trimmed[fields[1]];
        var colon = local.IndexOf(':');
        if (colon < 0 || !TryParseAddress(local[..colon], out var address)
            || local[(colon + 1)..] is not { Length: 4 } portHex
            || !int.TryParse(portHex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var port) || port == 0)
        {
            return false;
        }
        socket = new ListeningSocket(address, port);
        return true;
    }

    /// <summary>8 hex digits (IPv4) or 32 (IPv6): 32-bit words in the machine's byte order.</summary>
    private static bool TryParseAddress(ReadOnlySpan<char> hex, out IPAddress address)
    {
        address = IPAddress.None;
        if (hex.Length is not (8 or 32))
        {
            return false;
        }
        Span<byte> bytes = stackalloc byte[hex.Length / 2];
        for (var word = 0; word < hex.Length / 8; word++)
        {
            if (!uint.TryParse(hex.Slice(word * 8, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }
            // The word as it lay in memory: the kernel printed it as a native integer.
            var native = BitConverter.IsLittleEndian ? value : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(value);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(bytes.Slice(word * 4, 4), native);
        }
        address = new IPAddress(bytes);
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        return true;
    }
}
