using System.Text;
using LivePreview.Proxy;

namespace LivePreview.Tests.Proxy;

public sealed class HeadInjectionTests
{
    private static readonly byte[] Tag = HeadInjection.Tag("/__livepreview/client.js");

    [Theory]
    [InlineData("<!doctype html><html><head><title>x</title>", 27)]
    [InlineData("<html><HEAD lang=\"en\">", 22)]
    [InlineData("<head\n>", 7)]
    [InlineData("<body><header>x</header><head>", 30)]
    [InlineData("<header><headline>", -1)]
    [InlineData("<html><head", -1)]
    [InlineData("<html><head lang=\"en\"", -1)]
    public void The_tag_goes_right_after_the_head_tag_and_never_into_a_header(string html, int expected) =>
        Assert.Equal(expected, HeadInjection.InsertionPoint(Encoding.UTF8.GetBytes(html)));

    [Fact]
    public async Task A_head_split_across_reads_still_gets_the_tag_and_the_rest_is_left_unread()
    {
        var page = new TrickleStream(["<!doctype html><html><he", "ad><title>t</title></head>", "<body>rest</body>"]);

        var (prefix, injected) = await HeadInjection.ReadPrefixAsync(page, Tag, 64 * 1024, CancellationToken.None);

        Assert.True(injected);
        Assert.Equal("<!doctype html><html><head><script src=\"/__livepreview/client.js\"></script><title>t</title></head>", Encoding.UTF8.GetString(prefix));
        Assert.Equal(2, page.Reads);
    }

    [Fact]
    public async Task A_page_without_a_head_in_its_first_bytes_streams_on_untouched_after_at_most_the_scan_limit()
    {
        var page = new TrickleStream([.. Enumerable.Repeat(new string('x', 1000), 100)]);

        var (prefix, injected) = await HeadInjection.ReadPrefixAsync(page, Tag, 4096, CancellationToken.None);

        Assert.False(injected);
        Assert.Equal(4096, prefix.Length);
        Assert.All(prefix, b => Assert.Equal((byte)'x', b));
    }

    [Fact]
    public async Task A_small_whole_page_without_a_head_gets_the_tag_first()
    {
        var (prefix, injected) = await HeadInjection.ReadPrefixAsync(new TrickleStream(["<p>hi</p>"]), Tag, 4096, CancellationToken.None);

        Assert.True(injected);
        Assert.Equal("<script src=\"/__livepreview/client.js\"></script><p>hi</p>", Encoding.UTF8.GetString(prefix));
    }

    [Fact]
    public async Task The_prefixed_stream_gives_the_prefix_then_the_rest_and_disposes_both()
    {
        var owner = new Disposed();
        var rest = new MemoryStream(Encoding.UTF8.GetBytes("-rest"));
        await using (var stream = new PrefixedStream(Encoding.UTF8.GetBytes("prefix"), rest, owner))
        {
            Assert.Equal("prefix-rest", await new StreamReader(stream).ReadToEndAsync());
        }
        Assert.True(owner.IsDisposed);
        Assert.False(rest.CanRead);
    }

    /// <summary>Gives one chunk per read, as a network stream does.</summary>
    internal sealed class TrickleStream(string[] chunks) : Stream
    {
        private int _next;

        public int Reads => _next;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_next == chunks.Length)
            {
                return 0;
            }
            var bytes = Encoding.UTF8.GetBytes(chunks[_next]);
            if (bytes.Length > count)
            {
                chunks[_next] = chunks[_next][count..];
                bytes.AsSpan(0, count).CopyTo(buffer.AsSpan(offset));
                return count;
            }
            _next++;
            bytes.CopyTo(buffer.AsSpan(offset));
            return bytes.Length;
        }

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private sealed class Disposed : IDisposable
    {
        public bool IsDisposed { get; private set; }

        public void Dispose() => IsDisposed = true;
    }
}
