namespace LivePreview.Gateway;

/// <summary>The sandbox a gateway request authenticated as (by its token), and that sandbox's owner at the time.</summary>
public sealed record GatewayCaller(string SandboxId, string? Owner)
{
    public static GatewayCaller Of(HttpContext context) =>
        context.Features.Get<GatewayCaller>() ?? throw new InvalidOperationException("The gateway request was not authenticated.");
}
