namespace LivePreview.Tests.Auth;

/// <summary>The walk of <see cref="EveryRouteAsSecondUserTests"/> fills routes by shape and refuses a shape it does not know.</summary>
public sealed class RouteWalkTests
{
    private static readonly RouteValues Values = new("sbsbsbsbsbsb", "pvpvpvpvpvpv", "psps", "cpcp", "key_k");

    [Theory]
    [InlineData("/api/v1/sandboxes/{id}/files/{path}", "api/v1/sandboxes/sbsbsbsbsbsb/files/src/App.tsx")]
    [InlineData("/api/v1/preview/sandbox/{sandboxId}", "api/v1/preview/sandbox/sbsbsbsbsbsb")]
    [InlineData("/api/v1/preview/{id}", "api/v1/preview/pvpvpvpvpvpv")]
    [InlineData("/api/v1/prototype/session/{id}/checkpoints/{checkpointId}/restore", "api/v1/prototype/session/psps/checkpoints/cpcp/restore")]
    [InlineData("/api/v1/keys/{id}", "api/v1/keys/key_k")]
    [InlineData("/api/v1/sandbox/{id}/session", "api/v1/sandbox/sbsbsbsbsbsb/session")]
    public void A_route_is_filled_with_the_resource_its_parameter_names(string template, string expected) =>
        Assert.Equal(expected, RouteWalk.Fill(new Route(HttpMethod.Get, template), Values));

    [Theory]
    [InlineData("/api/v1/terminals/{id}")]
    [InlineData("/api/v1/sandboxes/{id}/ports/{port}")]
    [InlineData("/api/v1/preview/{id}/grants/{grantId}")]
    public void A_route_with_a_parameter_the_walk_cannot_fill_fails_the_walk_instead_of_being_skipped(string template)
    {
        var failure = Assert.Throws<InvalidOperationException>(() => RouteWalk.Fill(new Route(HttpMethod.Get, template), Values));

        Assert.Contains(template, failure.Message);
    }

    [Fact]
    public void A_grant_parameter_is_filled_once_the_owner_has_a_grant() =>
        Assert.Equal("api/v1/preview/pvpvpvpvpvpv/grants/gr1",
            RouteWalk.Fill(new Route(HttpMethod.Delete, "/api/v1/preview/{id}/grants/{grantId}"), Values with { GrantId = "gr1" }));

    [Fact]
    public void A_task_parameter_is_filled_with_the_owners_task_and_fails_the_walk_without_one()
    {
        Assert.Equal("api/v1/tasks/tktk/cancel", RouteWalk.Fill(new Route(HttpMethod.Post, "/api/v1/tasks/{id}/cancel"), Values with { TaskId = "tktk" }));
        Assert.Throws<InvalidOperationException>(() => RouteWalk.Fill(new Route(HttpMethod.Get, "/api/v1/tasks/{id}"), Values));
    }
}
