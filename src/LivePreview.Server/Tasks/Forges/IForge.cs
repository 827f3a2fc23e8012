namespace LivePreview.Tasks.Forges;

/// <summary>Opens pull requests (GitHub) or merge requests (GitLab) on the forge a remote lives on.</summary>
public interface IForge
{
    /// <summary>
    /// Opens a pull request of <paramref name="headBranch"/> into <paramref name="baseBranch"/> of the repository
    /// <paramref name="remoteUrl"/> names (https or ssh form); when one is already open for that head, returns it.
    /// </summary>
    /// <exception cref="ForgeException">No forge is configured for the host, the URL is not a repository, or the forge refused.</exception>
    Task<PullRequestRef> CreatePullRequestAsync(string remoteUrl, string headBranch, string baseBranch, string title, string body, CancellationToken ct);
}

/// <param name="Existing">True when the forge already had an open pull request for the head branch.</param>
public sealed record PullRequestRef(Uri Url, int Number, bool Existing);

/// <summary>
/// A forge call failed. <see cref="ForgeStatus"/> is the forge's HTTP status (null when it was never reached); the message
/// holds the forge's own words, bounded and stripped of control characters, and never the token.
/// </summary>
public sealed class ForgeException(int? forgeStatus, string message, Exception? inner = null) : Exception(message, inner)
{
    public int? ForgeStatus { get; } = forgeStatus;

    /// <summary>The status for an API answer: 400 for our configuration or input, 502 when the forge refused or failed, 504 when it was too slow.</summary>
    public int Status => ForgeStatus switch
    {
        null when InnerException is TimeoutException or TaskCanceledException => 504,
        null => 400,
        _ => 502,
    };

    /// <summary>A forge-written text as a message may carry it: at most 300 characters, no control characters.</summary>
    internal static string Clean(string? text)
    {
        var value = new string((text ?? "").Where(c => !char.IsControl(c)).ToArray()).Trim();
        return value.Length <= 300 ? value : value[..300] + "…";
    }
}
