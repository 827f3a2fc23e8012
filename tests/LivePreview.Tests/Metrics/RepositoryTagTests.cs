using LivePreview.Metrics;

namespace LivePreview.Tests.Metrics;

public sealed class RepositoryTagTests
{
    [Theory]
    [InlineData("https://github.com/acme/shop.git", "github.com/acme/shop")]
    [InlineData("https://x-access-token:ghp_SECRET123@github.com/acme/shop.git", "github.com/acme/shop")]
    [InlineData("https://user:p%40ss@GitHub.COM:8443/acme/shop/?token=SECRET#frag", "github.com/acme/shop")]
    [InlineData("http://oauth2:glpat-SECRET@git.example:8080/group/sub/app", "git.example/group/sub/app")]
    [InlineData("https://user:SECRET/with/slashes@git.example/acme/app", "git.example/acme/app")]
    [InlineData("ssh://git@gitlab.example:2222/group/app.git", "gitlab.example/group/app")]
    [InlineData("git@github.com:acme/shop.git", "github.com/acme/shop")]
    [InlineData("/srv/private/customers/acme/shop", "local/shop")]
    [InlineData("file:///srv/private/customers/acme/shop.git/", "local/shop")]
    [InlineData("https://[2001:DB8::1]:443/a/b", "_2001_db8__1_/a/b")]
    [InlineData("https://github.com/acme/sh\"op{x=\"1\"}\n", "github.com/acme/sh_op_x__1__")]
    public void A_remote_becomes_host_and_path_without_credentials_port_query_or_local_folders(string url, string tag)
    {
        var normalized = RepositoryTag.Normalize(url);

        Assert.Equal(tag, normalized);
        Assert.DoesNotContain("SECRET", normalized, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_tag_is_never_longer_than_its_limit()
    {
        var tag = RepositoryTag.Normalize("https://github.com/" + new string('a', 500));

        Assert.Equal(RepositoryTag.MaxLength, tag.Length);
    }

    [Fact]
    public void Repositories_after_the_first_few_share_one_tag_so_the_series_count_stays_bounded()
    {
        var tags = new RepositoryTags(3);

        var seen = Enumerable.Range(0, 1000).Select(i => tags.Of($"https://evil.example/u/repo{i}.git")).ToHashSet();

        Assert.Equal(["evil.example/u/repo0", "evil.example/u/repo1", "evil.example/u/repo2", RepositoryTag.Other], seen.Order(StringComparer.Ordinal));
        Assert.Equal("evil.example/u/repo1", tags.Of("https://token@evil.example/u/repo1"));
    }

    [Fact]
    public void With_no_room_every_repository_is_other()
    {
        Assert.Equal(RepositoryTag.Other, new RepositoryTags(0).Of("https://github.com/acme/shop"));
    }
}
