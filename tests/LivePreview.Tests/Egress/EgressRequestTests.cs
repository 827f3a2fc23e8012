using System.Net;
using LivePreview.Egress;
using LivePreview.Network;

namespace LivePreview.Tests.Egress;

public sealed class EgressRequestTests
{
    [Theory]
    [InlineData("CONNECT Registry.Example.:443 HTTP/1.1", "registry.example", 443)]
    [InlineData("CONNECT [2001:4860::1]:8443 HTTP/1.1", "2001:4860::1", 8443)]
    [InlineData("GET http://mirror.example/pkg?x=1 HTTP/1.1", "mirror.example", 80)]
    public void Targets_are_parsed_and_normalized(string line, string host, int port)
    {
        Assert.True(EgressRequest.TryParse(line + "\r\nHost: x", out var request, out _));
        Assert.Equal(new EgressTarget(host, port), request.Target);
    }

    [Theory]
    [InlineData("CONNECT evil.example HTTP/1.1")]
    [InlineData("CONNECT evil.example:0 HTTP/1.1")]
    [InlineData("CONNECT evil_example:443 HTTP/1.1")]
    [InlineData("CONNECT a@b:443 HTTP/1.1")]
    [InlineData("GET https://secure.example/ HTTP/1.1")]
    [InlineData("GET /relative HTTP/1.1")]
    [InlineData("CONNECT host:443 SPDY/3")]
    public void Malformed_or_unsupported_requests_are_refused(string line) =>
        Assert.False(EgressRequest.TryParse(line, out _, out _));

    [Fact]
    public void A_plain_request_reaches_the_origin_in_origin_form_without_proxy_headers()
    {
        Assert.True(EgressRequest.TryParse("GET http://mirror.example/a/b HTTP/1.1\r\nHost: mirror.example\r\nProxy-Authorization: secret\r\nConnection: keep-alive", out var request, out _));

        var text = System.Text.Encoding.Latin1.GetString(request.ForOrigin());

        Assert.StartsWith("GET /a/b HTTP/1.1\r\nHost: mirror.example\r\n", text);
        Assert.DoesNotContain("secret", text);
        Assert.EndsWith("Connection: close\r\n\r\n", text);
    }

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.20.0.1")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.1")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("fe80::1")]
    [InlineData("fd00::1")]
    [InlineData("64:ff9b::a00:1")]
    [InlineData("2002:c0a8:101::1")]
    public void Loopback_private_and_link_local_addresses_are_not_public(string address) =>
        Assert.False(PublicAddresses.IsPublic(IPAddress.Parse(address), documentationIsPublic: true));

    [Theory]
    [InlineData("1.1.1.1")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700::1111")]
    [InlineData("::ffff:1.1.1.1")]
    [InlineData("203.0.113.80")] // documentation ranges pass the proxy (git remotes refuse them)
    public void Public_addresses_are_public(string address) =>
        Assert.True(PublicAddresses.IsPublic(IPAddress.Parse(address), documentationIsPublic: true));
}
