using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace LivePreview.Previews;

/// <summary>A preview's coordinates: which sandbox, which port inside it.</summary>
public readonly record struct PreviewTarget(string SandboxId, int Port);

/// <summary>
/// Builds preview URLs and recognizes preview requests, in both host mode
/// (<c>{port}-{sandboxId}.{domain}</c>) and path mode (<c>/preview/{sandboxId}/{port}/</c>).
/// </summary>
public sealed class PreviewAddress(IOptionsMonitor<PreviewOptions> options, IServer server)
{
    public const string PathPrefix = "/preview/";

    public PreviewUrlMode Mode => options.CurrentValue.Mode;

    public string UrlFor(string sandboxId, int port)
    {
        var o = options.CurrentValue;
        var authorityPort = PortSuffix(o.Scheme, o.PublicPort ?? ListeningPort());
        return o.Mode == PreviewUrlMode.Host
            ? $"{o.Scheme}://{port.ToString(CultureInfo.InvariantCulture)}-{sandboxId}.{o.Domain}{authorityPort}/"
            : $"{o.Scheme}://localhost{authorityPort}{BasePath(sandboxId, port)}";
    }

    /// <summary>The path prefix a path-mode dev server must serve under (Vite <c>--base</c>); null in host mode.</summary>
    public string? DevServerBasePath(string sandboxId, int port) =>
        options.CurrentValue.Mode == PreviewUrlMode.Path ? BasePath(sandboxId, port) : null;

    public static string BasePath(string sandboxId, int port) =>
        $"{PathPrefix}{sandboxId}/{port.ToString(CultureInfo.InvariantCulture)}/";

    /// <summary>The preview a request is for: its Host in host mode, or (path mode) its <c>/preview/{id}/{port}/</c> path.</summary>
    public bool TryMatch(HttpRequest request, out PreviewTarget target) =>
        TryParseHost(request.Host.Value, out target) || (Mode == PreviewUrlMode.Path && TryParsePath(request.Path.Value, out target));

    /// <summary>Parses a Host header value (with or without port) as a host-mode preview address.</summary>
    public bool TryParseHost(string? host, out PreviewTarget target) =>
        TryParseHost(host, options.CurrentValue.Domain, out target);

    public static bool TryParseHost(string? host, string domain, out PreviewTarget target)
    {
        target = default;
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }
        var name = StripPort(host);
        var suffix = "." + domain;
        if (!name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        var label = name[..^suffix.Length];
        var dash = label.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0 || label.Contains('.', StringComparison.Ordinal))
        {
            return false;
        }
        return TryCreate(label[(dash + 1)..].ToLowerInvariant(), label[..dash], out target);
    }

    /// <summary>Parses <c>/preview/{sandboxId}/{port}/...</c>.</summary>
    public static bool TryParsePath(string? path, out PreviewTarget target)
    {
        target = default;
        if (path is null || !path.StartsWith(PathPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var parts = path[PathPrefix.Length..].Split('/', 3);
        return parts.Length >= 2 && TryCreate(parts[0], parts[1], out target);
    }

    private static bool TryCreate(string sandboxId, string portText, out PreviewTarget target)
    {
        target = default;
        if (!Sandboxes.SandboxId.IsValid(sandboxId) || portText.Length is 0 or > 5 || !portText.All(char.IsAsciiDigit))
        {
            return false;
        }
        var port = int.Parse(portText, CultureInfo.InvariantCulture);
        if (port is < 1 or > 65535)
        {
            return false;
        }
        target = new PreviewTarget(sandboxId, port);
        return true;
    }

    private static string StripPort(string host)
    {
        var colon = host.LastIndexOf(':');
        return colon > 0 && !host.EndsWith(']') ? host[..colon] : host;
    }

    private static string PortSuffix(string scheme, int port) =>
        (scheme, port) is ("http", 80) or ("https", 443) ? "" : ":" + port.ToString(CultureInfo.InvariantCulture);

    private int ListeningPort()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        foreach (var address in addresses)
        {
            if (Uri.TryCreate(address.Replace("*", "localhost", StringComparison.Ordinal).Replace("+", "localhost", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            {
                return uri.Port;
            }
        }
        return 8080;
    }
}
