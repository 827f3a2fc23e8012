namespace LivePreview.Prototypes.Screenshots;

/// <param name="Png">The PNG's bytes; null when it failed (see <paramref name="Error"/>).</param>
public sealed record ScreenshotResult(byte[]? Png, int Width, int Height, string? Error)
{
    public static ScreenshotResult Failed(string error) => new(null, 0, 0, error);
}

/// <summary>The size a PNG states in its IHDR chunk (the first one, right after the signature).</summary>
public static class PngHeader
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    public static bool TryRead(ReadOnlySpan<byte> png, out int width, out int height)
    {
        width = height = 0;
        if (png.Length < 24 || !png[..8].SequenceEqual(Signature) || !png[12..16].SequenceEqual("IHDR"u8))
        {
            return false;
        }
        width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png[16..20]);
        height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png[20..24]);
        return width > 0 && height > 0;
    }
}
