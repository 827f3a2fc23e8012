using LivePreview.Terminals;

namespace LivePreview.Tests.Terminals;

/// <summary>The replay ring keeps exactly the last bytes written, across wrap-arounds and oversized writes.</summary>
public sealed class OutputRingTests
{
    [Fact]
    public void The_ring_keeps_the_last_bytes_in_order_across_wrap_arounds()
    {
        var ring = new OutputRing(8);
        var all = new List<byte>();
        for (var i = 0; i < 50; i++)
        {
            var chunk = Enumerable.Range(0, i % 5 + 1).Select(j => (byte)(i * 7 + j)).ToArray();
            ring.Write(chunk);
            all.AddRange(chunk);
            Assert.Equal(all.TakeLast(8).ToArray(), ring.ToArray());
        }
    }

    [Fact]
    public void A_write_larger_than_the_ring_leaves_its_own_tail()
    {
        var ring = new OutputRing(4);
        ring.Write("ab"u8);
        ring.Write("0123456789"u8);

        Assert.Equal("6789"u8.ToArray(), ring.ToArray());
        Assert.Empty(new OutputRing(4).ToArray());
    }
}
