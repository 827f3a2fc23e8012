using System.Net;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;

namespace LivePreview.Tests.Sandboxes.Local;

/// <summary>The /proc/net/tcp{,6} parser of port detection: listeners only, addresses in the kernel's word order, garbage skipped.</summary>
public sealed class ProcNetTcpTests
{
    private const string Tcp4 = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000:1435 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4711 1 0000000000000000 100 0 0 10 0
           1: 0100007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4712 1 0000000000000000 100 0 0 10 0
           2: 0201DE0A:0BB9 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4713 1 0000000000000000 100 0 0 10 0
           3: 0201DE0A:1435 0101DE0A:D2F0 01 00000000:00000000 00:00000000 00000000  1000        0 4714 1 0000000000000000 20 4 30 10 -1
           4: 0100007F:9C40 0100007F:0FA0 06 00000000:00000000 03:00000A3C 00000000     0        0 0 3 0000000000000000
        """;

    private const string Tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000000000000:0BB9 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5001 1 0000000000000000 100 0 0 10 0
           1: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5002 1 0000000000000000 100 0 0 10 0
           2: 0000000000000000FFFF00000201DE0A:2329 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5003 1 0000000000000000 100 0 0 10 0
           3: 000080FE00000000FF005452120034FE:01BB 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5004 1 0000000000000000 100 0 0 10 0
           4: 00000000000000000000000001000000:1F90 00000000000000000000000001000000:A000 01 00000000:00000000 00:00000000 00000000  1000        0 5005 1 0000000000000000 20 4 30 10 -1
        """;

    [Fact]
    public void IPv4_listeners_are_read_with_their_addresses_and_other_states_are_left_out()
    {
        var found = ProcNetTcp.ParseListeners(Tcp4);

        Assert.Equal(
            new ListeningSocket[] { new(IPAddress.Any, 5173), new(IPAddress.Loopback, 4000), new(IPAddress.Parse("10.222.1.2"), 3001) },
            found);
    }

    [Fact]
    public void IPv6_listeners_are_read_and_an_IPv4_mapped_address_is_given_as_IPv4()
    {
        var found = ProcNetTcp.ParseListeners(Tcp6);

        Assert.Equal(
            new ListeningSocket[]
            {
                new(IPAddress.IPv6Any, 3001),
                new(IPAddress.IPv6Loopback, 8080),
                new(IPAddress.Parse("10.222.1.2"), 9001),
                new(IPAddress.Parse("fe80::5254:ff:fe34:12"), 443),
            },
            found);
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("0: 00000000:1435")]
    [InlineData("0 00000000:1435 00000000:0000 0A")]
    [InlineData("0: 0000000:1435 00000000:0000 0A")]
    [InlineData("0: 0000000G:1435 00000000:0000 0A")]
    [InlineData("0: 00000000:14 00000000:0000 0A")]
    [InlineData("0: 00000000:ZZZZ 00000000:0000 0A")]
    [InlineData("0: 00000000:0000 00000000:0000 0A")]
    [InlineData("0: 00000000 00000000:0000 0A")]
    [InlineData("0: 000000000000000000000000000000:0BB9 00000000000000000000000000000000:0000 0A")]
    [InlineData("0: 00000000:1435 00000000:0000 0a0")]
    public void A_malformed_line_is_skipped_not_thrown_on(string line)
    {
        Assert.False(ProcNetTcp.TryParseListener(line, out _));
        Assert.Empty(ProcNetTcp.ParseListeners(line + "\n" + line));
    }

    [Fact]
    public void Good_lines_around_garbage_and_a_cut_off_last_line_are_still_read()
    {
        // A bounded read can cut the last line anywhere.
        var text = "\0\0\n  0: 00000000:1435 00000000:0000 0A 0\n\u00ff\u00fe junk \n  1: 0100007F:0FA0 00000000:0000 0A\n  2: 0100007F:0F";

        Assert.Equal(new ListeningSocket[] { new(IPAddress.Any, 5173), new(IPAddress.Loopback, 4000) }, ProcNetTcp.ParseListeners(text));
    }

    [Fact]
    public void This_machines_own_listeners_parse()
    {
        // The real kernel's text of the test process's namespace: whatever listens, every listener line parses.
        var text = File.ReadAllText("/proc/net/tcp");
        var listenLines = text.Split('\n').Count(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is [_, _, _, "0A", ..]);

        Assert.Equal(listenLines, ProcNetTcp.ParseListeners(text).Count);
    }
}
