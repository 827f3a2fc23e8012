namespace LivePreview.Snapshots;

/// <summary>
/// Sandbox ports are reached through <see cref="Sandboxes.SandboxHttpClient"/> (pinned to the provider's
/// endpoint, whatever host the URL names). Requests use <c>localhost</c> so that Vite's host check
/// passes without touching the template's config (FIELD-NOTES 1).
/// </summary>
internal static class SandboxHttp
{
    public static Uri PageUri(int port) => new($"http://localhost:{port}/");
}
