using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using LivePreview.Hosting;
using LivePreview.Network;
using LivePreview.Snapshots;
using Microsoft.Extensions.Options;

namespace LivePreview.Git;

/// <summary>
/// Decides which remotes the host may push to (or, later, clone from). By default: https and ssh remotes on public hosts
/// only. Local paths, file://, plain http and hosts that are — or resolve to — loopback, link-local or private addresses
/// need a prefix in <see cref="GitOptions.AllowedRemotes"/>. Nothing under the data directory (sandbox workspaces, whose
/// hooks and config a sandbox writes) or the snapshots root is ever a remote, whatever a prefix says.
/// </summary>
public sealed partial class GitRemotePolicy(IOptionsMonitor<GitOptions> options, IOptions<LivePreviewOptions> service, IOptions<SnapshotOptions> snapshots)
{
    private const string Setting = "LivePreview:Git:AllowedRemotes";

    /// <summary>Host name resolution bound: a remote whose host does not answer in time is refused.</summary>
    private static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Host name resolution; tests put a fixed table here.</summary>
    internal Func<string, CancellationToken, Task<IPAddress[]>> Resolve { get; set; } = Dns.GetHostAddressesAsync;

    public async Task<GitRemote> CheckAsync(string? url, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            throw Refused("Give \"repo_url\": an https:// URL (https://github.com/owner/repo.git) or an ssh remote (git@github.com:owner/repo.git).");
        }
        if (url.StartsWith('-') || url.Any(char.IsControl))
        {
            throw Refused("The remote must not start with '-' or contain control characters.");
        }
        if (TransportHelper().IsMatch(url))
        {
            throw Refused($"'{url}' names a git transport helper ('<name>::…', such as ext:: or fd::, which run commands); use https:// or ssh.");
        }
        if (url.StartsWith('/') || url.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            return CheckLocal(url);
        }
        if (url.StartsWith("https://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            return await CheckHttpAsync(url, ct);
        }
        return await CheckSshAsync(url, ct);
    }

    private GitRemote CheckLocal(string url)
    {
        string path;
        if (url.StartsWith('/'))
        {
            path = url;
        }
        else if (url.StartsWith("file:///", StringComparison.Ordinal) && url.IndexOfAny(['%', '?', '#']) < 0)
        {
            path = url["file://".Length..];
        }
        else
        {
            throw Refused($"'{url}' is not a usable file URL: write file:///absolute/path (no host, no %-escapes).");
        }
        var full = Path.GetFullPath(path);
        var real = RealPath.OfExistingPrefix(full);
        if (ProtectedRoots().FirstOrDefault(root => RealPath.IsInside(real, root) || RealPath.IsInside(full, root)) is { } inside)
        {
            throw Refused($"'{url}' is inside '{inside}', where the service keeps sandbox workspaces and snapshots (their git hooks and config are written by sandboxes). No setting allows a remote there.");
        }
        RefuseGitFileRedirect(url, real);
        var written = url.StartsWith('/') ? full : "file://" + full;
        if (!IsAllowedByPrefix(written))
        {
            throw Refused($"Local paths and file:// remotes are refused by default: the host would run git-receive-pack on that repository. "
                + $"To allow a folder of your own, add its path (ending in '/', e.g. \"{Path.GetDirectoryName(full)}/\") to {Setting}.");
        }
        return new GitRemote(real, GitTransport.File, null, null, []);
    }

    /// <summary>A ".git" file (gitdir: …) in the target would send receive-pack to a repository somewhere else.</summary>
    private void RefuseGitFileRedirect(string url, string real)
    {
        var dotGit = Path.Join(real, ".git");
        if (File.Exists(real) || File.Exists(dotGit)
            || (Directory.Exists(dotGit) && ProtectedRoots().Any(root => RealPath.IsInside(RealPath.OfExistingPrefix(dotGit), root))))
        {
            throw Refused($"'{url}' is not a plain repository folder (it is a file, or its .git is a link to a repository elsewhere).");
        }
    }

    private async Task<GitRemote> CheckHttpAsync(string url, CancellationToken ct)
    {
        var match = HttpsUrl().Match(url);
        if (AuthorityOf(url).Contains('@'))
        {
            throw Refused($"Credentials in the remote URL are refused (they would show on git's command line); configure them per host in LivePreview:Git:Credentials.");
        }
        if (!match.Success)
        {
            throw Refused($"'{url}' is not a usable https URL: write https://host[:port]/path (no spaces, backslashes, '%', '?' or '#').");
        }
        var secure = match.Groups["scheme"].Value.Equals("https", StringComparison.OrdinalIgnoreCase);
        var (host, port) = Authority(match);
        var normalized = $"{(secure ? "https" : "http")}://{Bracketed(host)}{(port is null ? "" : $":{port}")}{match.Groups["path"].Value}";
        var transport = secure ? GitTransport.Https : GitTransport.Http;
        if (IsAllowedByPrefix(normalized))
        {
            return new GitRemote(normalized, transport, host, port, []);
        }
        if (!secure)
        {
            throw Refused($"Plain http:// remotes are refused (code and credentials would travel in clear); use https://, or allow this server with a prefix in {Setting}.");
        }
        var addresses = await PublicAddressesAsync(url, host, ct);
        return new GitRemote(normalized, transport, host, port, addresses);
    }

    private async Task<GitRemote> CheckSshAsync(string url, CancellationToken ct)
    {
        var ssh = SshUrl().Match(url);
        var scp = ssh.Success ? ssh : ScpRemote().Match(url);
        if (!scp.Success)
        {
            throw Refused($"'{url}' is not a supported remote: use https://host/owner/repo.git, ssh://git@host/owner/repo.git or git@host:owner/repo.git "
                + $"(local paths and file:// only where {Setting} allows them).");
        }
        var (host, port) = Authority(scp);
        var user = scp.Groups["user"].Success ? scp.Groups["user"].Value + "@" : "";
        var path = scp.Groups["path"].Value;
        if (path.StartsWith('-'))
        {
            throw Refused("The repository path must not start with '-'.");
        }
        var normalized = ssh.Success
            ? $"ssh://{user}{Bracketed(host)}{(port is null ? "" : $":{port}")}{path}"
            : $"{user}{Bracketed(host)}:{path}";
        if (IsAllowedByPrefix(normalized))
        {
            return new GitRemote(normalized, GitTransport.Ssh, host, port, []);
        }
        var addresses = await PublicAddressesAsync(url, host, ct);
        return new GitRemote(normalized, GitTransport.Ssh, host, port, addresses);
    }

    /// <summary>The host must be a public address, or a public name whose every address is public.</summary>
    private async Task<IReadOnlyList<IPAddress>> PublicAddressesAsync(string url, string host, CancellationToken ct)
    {
        if (host == "localhost" || host.EndsWith(".localhost", StringComparison.Ordinal))
        {
            throw NotPublic(url, $"'{host}' is a loopback name");
        }
        if (IPAddress.TryParse(host, out var literal))
        {
            return PublicAddresses.NonPublicReason(literal) is { } why ? throw NotPublic(url, $"{host} is {why}") : [literal];
        }
        IPAddress[] resolved;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(ResolveTimeout);
            resolved = await Resolve(host, timeout.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            throw Refused($"The host '{host}' of '{url}' could not be resolved ({e.Message}).");
        }
        if (resolved.Length == 0)
        {
            throw Refused($"The host '{host}' of '{url}' resolves to no address.");
        }
        foreach (var address in resolved)
        {
            if (PublicAddresses.NonPublicReason(address) is { } why)
            {
                throw NotPublic(url, $"'{host}' resolves to {address}, {why}");
            }
        }
        return resolved;
    }

    private bool IsAllowedByPrefix(string url) => options.CurrentValue.AllowedRemotes.Any(p => url.StartsWith(p, StringComparison.Ordinal));

    private IEnumerable<string> ProtectedRoots()
    {
        var data = service.Value.ResolveDataDirectory();
        yield return RealPath.OfExistingPrefix(data);
        if (!string.IsNullOrWhiteSpace(snapshots.Value.Root))
        {
            yield return RealPath.OfExistingPrefix(Path.GetFullPath(snapshots.Value.Root));
        }
    }

    private static GitRemoteRefusedException NotPublic(string url, string why) =>
        Refused($"'{url}' is refused: {why}. By default only https and ssh remotes on public hosts are allowed; "
            + $"to allow this server (an on-premise forge), add a prefix of the remote ending in '/' or ':' to {Setting}.");

    private static GitRemoteRefusedException Refused(string message) => new(message);
}
