using LivePreview.Git;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.Tasks.Forges;

public enum ForgeKind { GitHub, GitLab }

/// <summary>
/// The forges the service opens pull requests on, one per host (section <c>LivePreview:Forges</c>, an array):
/// <c>[{ "Host": "github.com", "Kind": "GitHub", "ApiUrl": "https://api.github.com/", "Token": "…" }]</c>.
/// Being listed here is the allowance: the API host may be private (an on-premise GitLab), but it must be https —
/// plain http only to a loopback address — and requests never leave it (no redirects, no other host).
/// </summary>
public sealed class ForgeOptions
{
    public const string Section = "LivePreview:Forges";

    public List<ForgeEntry> Forges { get; set; } = [];
}

public sealed class ForgeEntry
{
    /// <summary>The host as written in remote URLs (<c>github.com</c>, <c>gitlab.example.com</c>), optionally with <c>:port</c>.</summary>
    public string Host { get; set; } = "";

    public ForgeKind Kind { get; set; }

    /// <summary>The REST API's base URL, ending in '/': <c>https://api.github.com/</c>, <c>https://ghe.example.com/api/v3/</c>, <c>https://gitlab.example.com/api/v4/</c>.</summary>
    public string ApiUrl { get; set; } = "";

    /// <summary>The API token; when absent, the token of that host's LivePreview:Git:Credentials entry.</summary>
    public string? Token { get; set; }

    /// <summary>The longest one API request may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most bytes of one API response read; a longer answer is an error.</summary>
    public int MaxResponseBytes { get; set; } = 1024 * 1024;

    internal bool Matches(string host, int? port)
    {
        var mine = Host.Trim().TrimEnd('.').ToLowerInvariant();
        return mine == host || (port is not null && mine == $"{host}:{port}");
    }
}

internal sealed class ForgeOptionsValidator : IValidateOptions<ForgeOptions>
{
    public ValidateOptionsResult Validate(string? name, ForgeOptions options)
    {
        var errors = new List<string>();
        for (var i = 0; i < options.Forges.Count; i++)
        {
            var entry = options.Forges[i];
            var at = $"{ForgeOptions.Section}:{i}";
            if (entry.Host.Length == 0 || entry.Host.Contains('/') || entry.Host.Contains('@') || entry.Host.Any(char.IsControl))
            {
                errors.Add($"{at}:Host must be a host name as written in remote URLs (github.com), with no scheme or path.");
            }
            if (ApiUri(entry.ApiUrl) is null)
            {
                errors.Add($"{at}:ApiUrl must be an absolute https:// URL ending in '/' with no user, query or fragment (http:// only to a loopback address).");
            }
            if (entry.Timeout <= TimeSpan.Zero || entry.MaxResponseBytes < 1024)
            {
                errors.Add($"{at}: Timeout must be positive and MaxResponseBytes at least 1024.");
            }
        }
        if (options.Forges.Select(f => f.Host.Trim().ToLowerInvariant()).Distinct().Count() != options.Forges.Count)
        {
            errors.Add($"{ForgeOptions.Section} lists a host twice.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    internal static Uri? ApiUri(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length == 0 && uri.Query.Length == 0 && uri.Fragment.Length == 0
            && url.EndsWith('/') && uri.AbsolutePath.EndsWith('/')
            && (uri.Scheme == Uri.UriSchemeHttps || (uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback))
            ? uri : null;
}

public static class ForgesExtensions
{
    public static IServiceCollection AddForges(this IServiceCollection services)
    {
        services.AddOptions<ForgeOptions>()
            .Configure<IConfiguration>((o, config) => config.GetSection(ForgeOptions.Section).Bind(o.Forges))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ForgeOptions>, ForgeOptionsValidator>());
        services.TryAddSingleton<IForge, ForgeRouter>();
        return services;
    }
}
