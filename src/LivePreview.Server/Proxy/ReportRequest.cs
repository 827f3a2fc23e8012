using LivePreview.Previews;
using Microsoft.Net.Http.Headers;

namespace LivePreview.Proxy;

/// <summary>
/// The checks every report from a preview's page passes before its body is read (<see cref="ClientReports"/>,
/// <see cref="PreviewUpdates"/>): the browser says it comes from the preview's own page, it is JSON (a cross-site
/// <c>text/plain</c> form post needs no preflight, so it is refused), and it says it is small.
/// </summary>
internal static class ReportRequest
{
    /// <summary>Why the request is refused, or null when it may be read.</summary>
    public static ReportVerdict? Refusal(HttpRequest request, PreviewSnapshot preview, PreviewAddress address, int maxBytes)
    {
        if (!IsFromOwnPage(request, preview, address))
        {
            return new(StatusCodes.Status403Forbidden, "Reports are accepted only from the preview's own page (Origin or Sec-Fetch-Site: same-origin).");
        }
        if (!IsJson(request.ContentType))
        {
            return new(StatusCodes.Status415UnsupportedMediaType, "Send the report as Content-Type: application/json.");
        }
        return request.ContentLength > maxBytes ? TooLarge(maxBytes) : null;
    }

    public static ReportVerdict TooLarge(int maxBytes) => new(StatusCodes.Status413PayloadTooLarge, $"A report is at most {maxBytes} bytes.");

    /// <summary>
    /// The page's origin as the browser states it. The host this request came in on is the preview's own
    /// (the proxy matched it), and the public URL covers a TLS terminator in front of the service.
    /// </summary>
    private static bool IsFromOwnPage(HttpRequest request, PreviewSnapshot preview, PreviewAddress address)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return string.Equals(request.Headers["Sec-Fetch-Site"].ToString(), "same-origin", StringComparison.Ordinal);
        }
        var own = $"{request.Scheme}://{request.Host.Value}";
        var published = new Uri(address.UrlFor(preview.SandboxId, preview.Port)).GetLeftPart(UriPartial.Authority);
        return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase) || string.Equals(origin, published, StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsJson(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);
}
