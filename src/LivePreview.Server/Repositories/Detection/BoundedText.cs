using System.Text;

namespace LivePreview.Repositories.Detection;

/// <summary>Reads at most a given number of bytes of a stream as UTF-8, for the trees over hostile files.</summary>
internal static class BoundedText
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private static readonly UTF8Encoding Lenient = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>The whole text, or null when the stream holds more than <paramref name="maxBytes"/> (it may have grown since its size was read).</summary>
    /// <exception cref="InvalidDataException">The bytes are not UTF-8.</exception>
    public static async Task<string?> ReadAllAsync(Stream stream, string path, int maxBytes, CancellationToken cancellationToken)
    {
        var (buffer, length) = await ReadUpToAsync(stream, maxBytes + 1, cancellationToken);
        if (length > maxBytes)
        {
            return null;
        }
        try
        {
            return Strict.GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException($"'{path}' is not UTF-8 text.");
        }
    }

    /// <summary>The first <paramref name="maxBytes"/> bytes, decoded leniently (a character cut at the end becomes U+FFFD).</summary>
    public static async Task<string> ReadHeadAsync(Stream stream, int maxBytes, CancellationToken cancellationToken)
    {
        var (buffer, length) = await ReadUpToAsync(stream, maxBytes, cancellationToken);
        return Lenient.GetString(buffer, 0, length);
    }

    private static async Task<(byte[] Buffer, int Length)> ReadUpToAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        var buffer = new byte[Math.Min(limit, 64 * 1024)];
        var length = 0;
        while (length < limit)
        {
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(limit, buffer.Length * 2L));
            }
            var read = await stream.ReadAsync(buffer.AsMemory(length, buffer.Length - length), cancellationToken);
            if (read == 0)
            {
                break;
            }
            length += read;
        }
        return (buffer, length);
    }
}
