using LivePreview.Hosting;
using Microsoft.Extensions.Options;

namespace LivePreview.Previews;

/// <summary>
/// Says at start-up (and in <c>GET /api/v1/health</c>) whether preview pages are kept off the dashboard's origin. In host
/// mode each preview has its own origin, so a hostile preview page meets the dashboard's SameSite cookie and Origin check
/// like any other site; in path mode it is served from the dashboard's own origin and can call the API as the signed-in user.
/// </summary>
internal sealed class PreviewOriginProbe(IOptions<PreviewOptions> options) : IContainmentProbe
{
    public const string Name = "preview-origin";

    public IEnumerable<ContainmentEntry> Probe()
    {
        yield return options.Value.Mode == PreviewUrlMode.Host
            ? ContainmentEntry.On(Name, $"one origin per preview ({{port}}-{{sandbox}}.{options.Value.Domain}), apart from the dashboard's")
            : ContainmentEntry.Off(Name, $"{PreviewOptions.Section}:Mode = Path: preview pages share the dashboard's origin and can act as its signed-in user; use it only for code you trust");
    }
}
