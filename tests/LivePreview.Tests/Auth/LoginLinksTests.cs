using LivePreview.Auth;
using LivePreview.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LivePreview.Tests.Auth;

public sealed class LoginLinksTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-12-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    private LoginLinks Links() => new(Options.Create(new AuthOptions { LoginLinkLifetime = TimeSpan.FromMinutes(10) }), _time);

    [Fact]
    public void A_link_works_within_its_lifetime_and_not_after()
    {
        var links = Links();
        var early = links.Issue();
        var late = links.Issue();

        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.True(links.TryRedeem(early));
        _time.Advance(TimeSpan.FromMinutes(2));
        Assert.False(links.TryRedeem(late));
    }

    [Fact]
    public void A_link_works_once_and_made_up_tokens_never()
    {
        var links = Links();
        var token = links.Issue();

        Assert.True(links.TryRedeem(token));
        Assert.False(links.TryRedeem(token));
        Assert.False(links.TryRedeem(""));
        Assert.False(links.TryRedeem(null));
        Assert.False(links.TryRedeem(new string('0', 64)));
    }

    [Fact]
    public void The_start_banner_is_the_url_to_open_with_the_login_link()
    {
        Assert.Equal("LivePreview is running. Open http://localhost:8080/login?token=abc (works once)",
            LivePreviewCli.Banner("http://127.0.0.1:8080", "abc"));
    }

    [Theory]
    [InlineData("/prototype", "/prototype")]
    [InlineData("/sandboxes/abc?tab=preview", "/sandboxes/abc?tab=preview")]
    [InlineData("//evil.example/", "/")]
    [InlineData("/\\evil.example/", "/")]
    [InlineData("https://evil.example/", "/")]
    [InlineData("/login?token=x", "/")]
    [InlineData(null, "/")]
    public void Sign_in_returns_only_to_a_path_of_this_site(string? returnUrl, string expected) =>
        Assert.Equal(expected, LoginEndpoints.LocalOrRoot(returnUrl));
}
