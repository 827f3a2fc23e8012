namespace LivePreview.Git;

/// <summary>Every git the host runs (section <c>LivePreview:Git</c>): which remotes it may talk to, and with which credentials.</summary>
public sealed class GitOptions
{
    public const string Section = "LivePreview:Git";

    /// <summary>
    /// URL prefixes (plain text, case-sensitive, host in lower case, ending in <c>/</c> or <c>:</c>) of remotes allowed although the default
    /// policy refuses them: local paths (<c>/srv/git/</c>), <c>file:///srv/git/</c>, or https/ssh remotes on private or
    /// loopback hosts (<c>https://git.internal/</c>, <c>git@10.0.0.5:</c>). Nothing under the data directory is ever allowed.
    /// </summary>
    public List<string> AllowedRemotes { get; set; } = [];

    /// <summary>Credentials for https remotes, one per host; a credential is only ever handed to its own host.</summary>
    public List<GitCredential> Credentials { get; set; } = [];

    /// <summary>PEM file of extra certificate authorities for https remotes (an on-premise forge with a private CA).</summary>
    public string? CaCertificates { get; set; }

    /// <summary>Longest time one git command may take before it is killed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Most characters kept of each git command's output (its tail); the rest is dropped.</summary>
    public int MaxOutputChars { get; set; } = 16_384;
}

/// <summary>A token for one https host, sent as HTTP basic auth (GitHub: user name <c>x-access-token</c>).</summary>
public sealed class GitCredential
{
    /// <summary>The host name as written in remote URLs (<c>github.com</c>), optionally with <c>:port</c>.</summary>
    public string Host { get; set; } = "";

    public string Username { get; set; } = "x-access-token";

    public string Token { get; set; } = "";

    /// <summary>True when this credential belongs to the host of an https URL (<paramref name="host"/> lower-case, <paramref name="port"/> as written or null).</summary>
    public bool Matches(string host, int? port)
    {
        var mine = Host.Trim().TrimEnd('.').ToLowerInvariant();
        return mine == host || (port is not null && mine == $"{host}:{port}");
    }
}
