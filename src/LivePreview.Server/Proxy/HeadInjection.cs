using System.Text;

namespace LivePreview.Proxy;

/// <summary>
/// Puts the client script tag into an HTML page as it streams: only a bounded prefix of the page is read
/// (until the end of its <c>&lt;head…&gt;</c> tag, at most <c>InjectScanBytes</c>), the tag goes in after
/// it, and the rest of the page is passed through untouched. Nothing else is ever held in memory, so an
/// endless page costs one prefix buffer, not the page.
/// </summary>
internal static class HeadInjection
{
    private static readonly byte[] HeadOpen = "<head"u8.ToArray();

    /// <summary>The prefix as sent on (tag included when it fits), and whether the tag went in.</summary>
    public static async Task<(byte[] Prefix, bool Injected)> ReadPrefixAsync(Stream page, byte[] tag, int scanBytes, CancellationToken ct)
    {
        var buffer = new byte[Math.Min(scanBytes, 8 * 1024)];
        var length = 0;
        while (true)
        {
            var insertAt = InsertionPoint(buffer.AsSpan(0, length));
            if (insertAt >= 0)
            {
                return ([.. buffer.AsSpan(0, insertAt), .. tag, .. buffer.AsSpan(insertAt, length - insertAt)], true);
            }
            if (length == scanBytes)
            {
                // No <head> near the top: the page goes on untouched.
                return (buffer, false);
            }
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, Math.Min(buffer.Length * 2, scanBytes));
            }
            var read = await page.ReadAsync(buffer.AsMemory(length), ct);
            if (read == 0)
            {
                // The whole (small) page without a <head>: the browser makes one, the tag goes first.
                return ([.. tag, .. buffer.AsSpan(0, length)], true);
            }
            length += read;
        }
    }

    /// <summary>Just after the <c>&gt;</c> of the first <c>&lt;head&gt;</c> (or <c>&lt;head …&gt;</c>) tag; -1 when not (yet) there.</summary>
    public static int InsertionPoint(ReadOnlySpan<byte> html)
    {
        var offset = 0;
        while (offset < html.Length)
        {
            var open = IndexOfIgnoreCase(html[offset..], HeadOpen);
            if (open < 0)
            {
                return -1;
            }
            var after = offset + open + HeadOpen.Length;
            if (after >= html.Length)
            {
                return -1;
            }
            if (html[after] is (byte)'>' or (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or (byte)'/')
            {
                var close = html[after..].IndexOf((byte)'>');
                return close < 0 ? -1 : after + close + 1;
            }
            // <header>, <headline…>: not the head.
            offset = after;
        }
        return -1;
    }

    public static byte[] Tag(string scriptUrl) => Encoding.UTF8.GetBytes($"<script src=\"{scriptUrl}\"></script>");

    private static int IndexOfIgnoreCase(ReadOnlySpan<byte> text, ReadOnlySpan<byte> lowerAscii)
    {
        for (var i = 0; i <= text.Length - lowerAscii.Length; i++)
        {
            var j = 0;
            while (j < lowerAscii.Length && (text[i + j] is >= (byte)'A' and <= (byte)'Z' ? text[i + j] | 0x20 : text[i + j]) == lowerAscii[j])
            {
                j++;
            }
            if (j == lowerAscii.Length)
            {
                return i;
            }
        }
        return -1;
    }
}

/// <summary>A page whose first bytes were already read (and perhaps given the script tag): those bytes, then the rest, streamed.</summary>
internal sealed class PrefixedStream(byte[] prefix, Stream rest, IDisposable owner) : Stream
{
    private int _position;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position < prefix.Length)
        {
            var count = Math.Min(buffer.Length, prefix.Length - _position);
            prefix.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }
        return await rest.ReadAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            rest.Dispose();
            owner.Dispose();
        }
        base.Dispose(disposing);
    }
}
