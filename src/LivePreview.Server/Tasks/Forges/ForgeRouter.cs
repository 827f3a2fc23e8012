using LivePreview.Git;
using Microsoft.Extensions.Options;

namespace LivePreview.Tasks.Forges;

/// <summary>
/// Picks the forge of a remote by its host among <see cref="ForgeOptions.Forges"/> and opens the pull request there. The
/// token is the entry's, or that host's git credential; it goes to the entry's ApiUrl only, and never into a sandbox.
/// </summary>
internal sealed partial class ForgeRouter(IOptionsMonitor<ForgeOptions> forges, IOptionsMonitor<GitOptions> git, ILogger<ForgeRouter> logger) : IForge
{
    public async Task<PullRequestRef> CreatePullRequestAsync(string remoteUrl, string headBranch, string baseBranch, string title, string body, CancellationToken ct)
    {
        var repository = ForgeRepository.Parse(remoteUrl);
        var entry = forges.CurrentValue.Forges.FirstOrDefault(f => f.Matches(repository.Host, repository.Port))
            ?? throw new ForgeException(null, $"No forge is configured for '{repository.Host}': add an entry to {ForgeOptions.Section} "
                + $"(e.g. LivePreview__Forges__0__Host={repository.Host}, …__0__Kind=GitHub or GitLab, …__0__ApiUrl=https://…/).");
        var api = ForgeOptionsValidator.ApiUri(entry.ApiUrl) ?? throw new ForgeException(null, $"The ApiUrl of the {ForgeOptions.Section} entry for '{entry.Host}' is not usable.");
        var token = entry.Token is { Length: > 0 } own ? own
            : git.CurrentValue.Credentials.FirstOrDefault(c => c.Matches(repository.Host, repository.Port))?.Token
            ?? throw new ForgeException(null, $"No token for '{entry.Host}': set Token in its {ForgeOptions.Section} entry or a {GitOptions.Section}:Credentials entry for that host.");
        var draft = new PullRequestDraft(headBranch, baseBranch, title, body);
        var pullRequest = entry.Kind switch
        {
            ForgeKind.GitHub => await GitHubForge.CreateAsync(entry, api, token, repository, draft),
            _ => await GitLabForge.CreateAsync(entry, api, token, repository, draft, ct),
        };
        LogOpened(logger, pullRequest.Url, pullRequest.Number, pullRequest.Existing);
        return pullRequest;
    }

    [LoggerMessage(EventId = 2570, Level = LogLevel.Information, Message = "Pull request {Url} (#{Number}) opened, already existing: {Existing}")]
    private static partial void LogOpened(ILogger logger, Uri url, int number, bool existing);
}
