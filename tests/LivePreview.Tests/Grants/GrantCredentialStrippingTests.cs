using LivePreview.Auth;

namespace LivePreview.Tests.Grants;

/// <summary>What the proxy hands a dev server: no grant cookie and no grant token in the query, the app's own parts kept.</summary>
public sealed class GrantCredentialStrippingTests
{
    [Fact]
    public void The_grant_cookie_is_taken_out_and_the_apps_cookies_stay()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://10.0.0.2:5173/");
        request.Headers.TryAddWithoutValidation("Cookie", "livepreview_grant=lpg_secret; theme=dark; livepreview_grant_app=mine");

        LivePreviewCredentials.StripFrom(request);

        Assert.Equal("theme=dark; livepreview_grant_app=mine", Assert.Single(request.Headers.GetValues("Cookie")));
    }

    [Theory]
    [InlineData("/?livepreview_grant=lpg_secret&token=vite", "?token=vite")]
    [InlineData("/src/a.ts?LIVEPREVIEW_GRANT=lpg_secret", "")]
    [InlineData("/?a=1&livepreview%5Fgrant=lpg_secret&b=2", "?a=1&b=2")]
    [InlineData("/?livepreview_grant_app=1", "?livepreview_grant_app=1")]
    public void A_grant_token_in_the_query_is_taken_out_and_the_rest_of_the_query_stays(string pathAndQuery, string expectedQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://10.0.0.2:5173" + pathAndQuery);

        LivePreviewCredentials.StripFrom(request);

        Assert.Equal(expectedQuery, request.RequestUri!.Query);
        Assert.DoesNotContain("lpg_", request.RequestUri.ToString(), StringComparison.Ordinal);
    }
}
