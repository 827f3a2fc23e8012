using LivePreview.Previews;

namespace LivePreview.Tests.Previews;

public sealed class PreviewAddressTests
{
    private const string Domain = "preview.localhost";

    [Theory]
    [InlineData("5173-abcdefgh1234.preview.localhost:8080", 5173)]
    [InlineData("3000-abcdefgh1234.preview.localhost", 3000)]
    [InlineData("3000-ABCDEFGH1234.Preview.Localhost", 3000)]
    public void Preview_hosts_are_parsed_into_sandbox_and_port(string host, int port)
    {
        Assert.True(PreviewAddress.TryParseHost(host, Domain, out var target));
        Assert.Equal(new PreviewTarget("abcdefgh1234", port), target);
    }

    [Theory]
    [InlineData("localhost:8080")]
    [InlineData("preview.localhost")]
    [InlineData("5173-abcdefgh1234.evil.localhost")]
    [InlineData("x.5173-abcdefgh1234.preview.localhost")]
    [InlineData("70000-abcdefgh1234.preview.localhost")]
    [InlineData("0-abcdefgh1234.preview.localhost")]
    [InlineData("5173-short.preview.localhost")]
    [InlineData("5173-1bcdefgh1234.preview.localhost")]
    [InlineData("abc-abcdefgh1234.preview.localhost")]
    [InlineData("")]
    [InlineData(null)]
    public void Other_hosts_are_not_previews(string? host) =>
        Assert.False(PreviewAddress.TryParseHost(host, Domain, out _));

    [Theory]
    [InlineData("/preview/abcdefgh1234/5173/", 5173)]
    [InlineData("/preview/abcdefgh1234/5173/src/main.tsx", 5173)]
    [InlineData("/preview/abcdefgh1234/80", 80)]
    public void Preview_paths_are_parsed(string path, int port)
    {
        Assert.True(PreviewAddress.TryParsePath(path, out var target));
        Assert.Equal(new PreviewTarget("abcdefgh1234", port), target);
    }

    [Theory]
    [InlineData("/api/v1/preview/abcdefgh1234")]
    [InlineData("/preview/../5173/")]
    [InlineData("/preview/abcdefgh1234/")]
    [InlineData("/preview/abcdefgh1234/99999/")]
    public void Other_paths_are_not_previews(string path) =>
        Assert.False(PreviewAddress.TryParsePath(path, out _));
}
