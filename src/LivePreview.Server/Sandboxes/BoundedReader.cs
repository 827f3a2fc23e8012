using System.Text;

namespace LivePreview.Sandboxes;

/// <summary>Reads at most a given number of bytes of a stream a sandbox controls; the rest is left unread.</summary>
public static class BoundedReader
{
    /// <summary>The first <paramref name="maxBytes"/> bytes, and whether the stream had more.</summary>
    public static async Task<(byte[] Bytes, bool Truncated)> ReadAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        // One byte more than allowed tells "exactly the limit" from "more than the limit".
        var buffer = new byte[Math.Min(maxBytes + 1, 16 * 1024)];
        var length = 0;
        while (length <= maxBytes)
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, maxBytes + 1L));
            }
            var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
            if (read == 0)
            {
                return (buffer[..length], false);
            }
            length += read;
        }
        return (buffer[..maxBytes], true);
    }

    /// <summary>Like <see cref="ReadAsync"/>, decoded as UTF-8 (invalid bytes and a cut character become U+FFFD).</summary>
    public static async Task<(string Text, bool Truncated)> ReadUtf8Async(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        var (bytes, truncated) = await ReadAsync(stream, maxBytes, cancellationToken);
        return (Encoding.UTF8.GetString(bytes), truncated);
    }
}
