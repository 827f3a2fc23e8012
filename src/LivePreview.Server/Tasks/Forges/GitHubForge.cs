using Octokit;
using Octokit.Internal;

namespace LivePreview.Tasks.Forges;

/// <summary>
/// Pull requests on GitHub (or GitHub Enterprise: ApiUrl <c>https://host/api/v3/</c>) through Octokit, on the guarded HTTP
/// stack of <see cref="ForgeHttp"/>. A 422 "A pull request already exists" means one is open for that head: it is looked
/// up (<c>GET /repos/{o}/{r}/pulls?head=o:branch&amp;state=open</c>) and returned.
/// </summary>
internal static class GitHubForge
{
    private static readonly ProductHeaderValue Product = new("LivePreview");

    public static async Task<PullRequestRef> CreateAsync(ForgeEntry entry, Uri api, string token, ForgeRepository repository, PullRequestDraft draft)
    {
        if (repository.Segments.Count != 2)
        {
            throw new ForgeException(null, $"A GitHub repository is owner/repo; '{string.Join('/', repository.Segments)}' has {repository.Segments.Count} parts.");
        }
        var (owner, name) = (repository.Segments[0], repository.Segments[1]);
        using var http = new HttpClientAdapter(() => ForgeHttp.CreateHandler(entry, api));
        var client = new GitHubClient(new Connection(Product, api, new InMemoryCredentialStore(new Credentials(token)), http, new SimpleJsonSerializer()));
        client.SetRequestTimeout(entry.Timeout);
        try
        {
            var created = await client.PullRequest.Create(owner, name, new NewPullRequest(draft.Title, draft.Head, draft.Base) { Body = draft.Body });
            return new PullRequestRef(new Uri(created.HtmlUrl), created.Number, Existing: false);
        }
        catch (ApiValidationException e) when (AlreadyExists(e))
        {
            return await ExistingAsync(client, owner, name, draft);
        }
        catch (ApiException e)
        {
            throw Failed(e);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutException)
        {
            throw new ForgeException(null, $"GitHub at {api.Authority} could not be reached: {ForgeException.Clean(e.Message)}", e);
        }
    }

    private static async Task<PullRequestRef> ExistingAsync(GitHubClient client, string owner, string name, PullRequestDraft draft)
    {
        try
        {
            var open = await client.PullRequest.GetAllForRepository(owner, name,
                new PullRequestRequest { Head = $"{owner}:{draft.Head}", State = ItemStateFilter.Open },
                new ApiOptions { PageCount = 1, PageSize = 10, StartPage = 1 });
            var existing = open.FirstOrDefault(p => p.Head?.Ref == draft.Head)
                ?? throw new ForgeException(422, $"GitHub says a pull request for '{draft.Head}' already exists, but lists no open one for {owner}:{draft.Head}.");
            return new PullRequestRef(new Uri(existing.HtmlUrl), existing.Number, Existing: true);
        }
        catch (ApiException e)
        {
            throw Failed(e);
        }
    }

    private static bool AlreadyExists(ApiValidationException e) =>
        e.ApiError?.Errors?.Any(x => x.Message?.Contains("already exists", StringComparison.OrdinalIgnoreCase) == true) == true
        || e.ApiError?.Message?.Contains("already exists", StringComparison.OrdinalIgnoreCase) == true;

    private static ForgeException Failed(ApiException e)
    {
        var details = e.ApiError?.Errors?.Select(x => x.Message).Where(m => !string.IsNullOrEmpty(m)) ?? [];
        var message = string.Join("; ", new[] { e.ApiError?.Message ?? e.Message }.Concat(details));
        return new ForgeException((int)e.StatusCode, $"GitHub refused the pull request ({(int)e.StatusCode}): {ForgeException.Clean(message)}", e);
    }
}

/// <summary>What a pull request is made of: head into base, with a title and a body.</summary>
internal sealed record PullRequestDraft(string Head, string Base, string Title, string Body);
