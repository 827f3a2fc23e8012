using System.Text.RegularExpressions;

namespace LivePreview.Tasks.Forges;

/// <summary>
/// The host and repository path a remote URL names, parsed strictly: https (<c>https://host/group/project.git</c>),
/// ssh (<c>ssh://git@host/group/project.git</c>) and scp-style (<c>git@host:group/project.git</c>). Every path segment is
/// letters, digits, '.', '_' or '-' (not "." or ".."), so owner, repository and project path reach the forge's API as
/// plain URL segments; nothing else is accepted.
/// </summary>
public sealed partial record ForgeRepository(string Host, int? Port, IReadOnlyList<string> Segments)
{
    /// <summary>The path as GitLab's API takes it for <c>:id</c>: <c>group%2Fsubgroup%2Fproject</c>.</summary>
    public string EncodedPath => Uri.EscapeDataString(string.Join('/', Segments));

    public static ForgeRepository Parse(string? remoteUrl)
    {
        var match = string.IsNullOrWhiteSpace(remoteUrl) ? Match.Empty
            : Https().Match(remoteUrl) is { Success: true } https ? https
            : Ssh().Match(remoteUrl) is { Success: true } ssh ? ssh
            : Scp().Match(remoteUrl);
        if (!match.Success)
        {
            throw new ForgeException(null, $"'{ForgeException.Clean(remoteUrl)}' is not a repository URL a forge can open a pull request on: use https://host/owner/repo(.git), ssh://git@host/owner/repo.git or git@host:owner/repo.git.");
        }
        var path = match.Groups["path"].Value.TrimEnd('/');
        if (path.EndsWith(".git", StringComparison.Ordinal))
        {
            path = path[..^4];
        }
        var segments = path.Split('/');
        if (segments.Length < 2 || segments.Any(s => !Segment().IsMatch(s) || s is "." or ".."))
        {
            throw new ForgeException(null, $"'{ForgeException.Clean(remoteUrl)}' does not name a repository as owner/repo (or group/…/project): each part is letters, digits, '.', '_' or '-'.");
        }
        int? port = match.Groups["port"].Success ? int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture) : null;
        return new ForgeRepository(match.Groups["host"].Value.ToLowerInvariant().TrimEnd('.'), port, segments);
    }

    private const string HostPattern = @"(?<host>[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?\.?)";

    [GeneratedRegex(@"^https://" + HostPattern + @"(?::(?<port>[0-9]{1,5}))?/(?<path>[A-Za-z0-9._/-]+)$")]
    private static partial Regex Https();

    [GeneratedRegex(@"^ssh://(?:[A-Za-z0-9_][A-Za-z0-9._-]*@)?" + HostPattern + @"(?::(?<port>[0-9]{1,5}))?/(?<path>[A-Za-z0-9._/-]+)$")]
    private static partial Regex Ssh();

    [GeneratedRegex(@"^(?:[A-Za-z0-9_][A-Za-z0-9._-]*@)?" + HostPattern + @":(?<path>[A-Za-z0-9._-][A-Za-z0-9._/-]*)$")]
    private static partial Regex Scp();

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+$")]
    private static partial Regex Segment();
}
