using System.Net;

namespace LivePreview.Git;

/// <summary>How the host reaches a remote; each one is the single git protocol allowed while talking to it.</summary>
public enum GitTransport
{
    Https,
    /// <summary>Plain http: only where a prefix in AllowedRemotes allows it, and never with a credential.</summary>
    Http,
    Ssh,
    File,
}

/// <summary>
/// A remote the policy accepted. <see cref="Url"/> is what git is given: re-written from the parsed parts (https, ssh)
/// or the real path with symlinks resolved (local), never the request's text as it came.
/// </summary>
/// <param name="Host">Lower-case host name or address (https, ssh); null for local remotes.</param>
/// <param name="Port">The port as written in the URL, if any.</param>
/// <param name="Addresses">The public addresses the host name resolved to when the policy checked it; https connections are pinned to them.</param>
public sealed record GitRemote(string Url, GitTransport Transport, string? Host, int? Port, IReadOnlyList<IPAddress> Addresses)
{
    /// <summary>The host as git writes it in a credential request (<c>host</c> or <c>host:port</c>).</summary>
    public string? CredentialHost => Host is null ? null : Port is null ? Host : $"{Host}:{Port}";
}

/// <summary>A remote the policy refuses (HTTP 400); the message says why and which setting would allow it.</summary>
public sealed class GitRemoteRefusedException(string message) : Exception(message);
