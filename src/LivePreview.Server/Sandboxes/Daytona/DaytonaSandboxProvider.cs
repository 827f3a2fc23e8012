using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Daytona;

/// <summary>
/// Sandboxes rented from Daytona over its REST API. A sandbox is named after our id and labelled, so an attach after a
/// restart (or from another instance) finds it by name and nothing is kept on this machine. Processes run in toolbox
/// sessions (one per process, deleted to kill it); files go through the toolbox's file API; a port is reached through
/// Daytona's preview URL with its preview token (<see cref="ISandboxPortUrls"/>).
/// </summary>
internal sealed partial class DaytonaSandboxProvider : ISandboxProvider, ISandboxPortUrls
{
    public const string SandboxLabel = "livepreview.sandbox";
    public const string PreviewTokenHeader = "X-Daytona-Preview-Token";

    private readonly DaytonaClient _client;
    private readonly DaytonaOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ISandboxEnvironment[] _environments;
    private readonly ConcurrentDictionary<string, DaytonaToolbox> _toolboxes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<DaytonaSandboxProcess, byte>> _processes = new(StringComparer.Ordinal);

    public DaytonaSandboxProvider(DaytonaClient client, IOptions<DaytonaOptions> options, TimeProvider time, ILogger<DaytonaSandboxProvider> logger,
        IEnumerable<ISandboxEnvironment>? environments = null)
    {
        _client = client;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _environments = environments?.ToArray() ?? [];
    }

    public string Name => "daytona";

    public async Task CreateAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var snapshot = SnapshotFor(spec);
        var existing = await _client.GetSandboxAsync(spec.SandboxId, cancellationToken);
        if (existing is null)
        {
            var labels = new Dictionary<string, string> { [SandboxLabel] = spec.SandboxId };
            existing = await _client.CreateSandboxAsync(
                new DaytonaCreateSandbox(spec.SandboxId, snapshot, labels, _options.AutoStopMinutes, _options.Target is { Length: > 0 } t ? t : null), cancellationToken);
            DaytonaLog.Created(_logger, spec.SandboxId, existing.Id, snapshot);
        }
        await WaitStartedAsync(spec.SandboxId, existing, cancellationToken);
    }

    /// <summary>Finds the sandbox by name; a stopped one (auto-stop) is started again. False when Daytona has no such sandbox.</summary>
    public async Task<bool> AttachAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var sandbox = await _client.GetSandboxAsync(spec.SandboxId, cancellationToken);
        if (sandbox is null || sandbox.State is "destroyed" or "destroying")
        {
            return false;
        }
        await WaitStartedAsync(spec.SandboxId, sandbox, cancellationToken);
        return true;
    }

    public async Task StopAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var box = await ToolboxAsync(sandboxId, cancellationToken);
        await KillOwnAsync(sandboxId);
        // Sessions a previous instance of the service started are ours too: the toolbox lists them.
        foreach (var session in await _client.ListSessionsAsync(box, cancellationToken) ?? [])
        {
            if (session.SessionId.StartsWith(DaytonaSandboxProcess.SessionPrefix, StringComparison.Ordinal))
            {
                await _client.DeleteSessionAsync(box, session.SessionId, cancellationToken);
            }
        }
        await _environments.ReleaseAsync(sandboxId);
    }

    public async Task DeleteAsync(string sandboxId, CancellationToken cancellationToken)
    {
        await KillOwnAsync(sandboxId);
        await _environments.ReleaseAsync(sandboxId);
        _toolboxes.TryRemove(sandboxId, out _);
        if (await _client.DeleteSandboxAsync(sandboxId, cancellationToken))
        {
            DaytonaLog.Deleted(_logger, sandboxId);
        }
    }

    /// <summary>A sandbox Daytona stopped (auto-stop) or archived exists but is not healthy: the warm pool's health pass replaces it.</summary>
    public async Task<SandboxHealth> GetHealthAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var sandbox = await _client.GetSandboxAsync(sandboxId, cancellationToken);
        return sandbox switch
        {
            null => new SandboxHealth(false, false, "Daytona has no such sandbox."),
            { IsStarted: true } => new SandboxHealth(true, true, null),
            { IsFailed: true } => new SandboxHealth(true, false, $"Daytona reports {sandbox.State}: {SandboxText.Clean(sandbox.ErrorReason ?? "no reason given", 300)}"),
            _ => new SandboxHealth(true, false, $"Daytona reports the sandbox {SandboxText.Clean(sandbox.State ?? "unknown", 40)} (auto-stop stops idle sandboxes)."),
        };
    }

    public async Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken)
    {
        var all = await _client.ListSandboxesAsync(new Dictionary<string, string>(), cancellationToken);
        return [.. all.Where(s => s.Labels?.ContainsKey(SandboxLabel) == true && s.Name is not null && SandboxId.IsValid(s.Name) && s.State is not ("destroyed" or "destroying"))
            .Select(s => s.Name!)];
    }

    public ISandboxFileSystem Files(string sandboxId) => new DaytonaSandboxFiles(this, _client, sandboxId, _options.WorkspaceDirectory);

    public Task<ISandboxTerminal> StartTerminalAsync(string sandboxId, SandboxTerminalSpec spec, CancellationToken cancellationToken) =>
        throw new SandboxProviderLimitException("The Daytona sandbox provider has no terminals yet (Daytona's PTY API is not wired); use commands instead.");

    /// <summary>Daytona's preview host and port; the proxy and probes use <see cref="GetPortUrlAsync"/>, which adds the token it needs.</summary>
    public async ValueTask<EndPoint> GetPortEndpointAsync(string sandboxId, int port, CancellationToken cancellationToken)
    {
        var url = (await GetPortUrlAsync(sandboxId, port, cancellationToken)).BaseUrl;
        return new DnsEndPoint(url.Host, url.Port);
    }

    /// <summary>The preview URL and its token; the token travels only in <c>X-Daytona-Preview-Token</c>, from the service to Daytona.</summary>
    public async ValueTask<SandboxPortUrl> GetPortUrlAsync(string sandboxId, int port, CancellationToken cancellationToken)
    {
        var preview = await _client.GetPreviewUrlAsync(sandboxId, port, cancellationToken);
        var url = new Uri(preview.Url.EndsWith('/') ? preview.Url : preview.Url + "/");
        // The warning page Daytona shows browsers on a preview URL is for people opening it directly; ours is behind our grants.
        return new SandboxPortUrl(url, [new(PreviewTokenHeader, preview.Token), new("X-Daytona-Skip-Preview-Warning", "true")]);
    }

    internal async ValueTask<DaytonaToolbox> ToolboxAsync(string sandboxId, CancellationToken cancellationToken)
    {
        if (_toolboxes.TryGetValue(sandboxId, out var box))
        {
            return box;
        }
        var sandbox = await _client.GetSandboxAsync(sandboxId, cancellationToken) ?? throw new SandboxNotFoundException(sandboxId);
        return _toolboxes[sandboxId] = DaytonaToolbox.Of(sandbox, _client.ApiRoot);
    }

    /// <summary>
    /// The Daytona snapshot for our framework snapshot (<c>{framework}-{hash}</c>). A repository sandbox's host checkout
    /// cannot be sent to Daytona, and neither can a framework that has no mapped snapshot.
    /// </summary>
    private string SnapshotFor(SandboxSpec spec)
    {
        var id = Path.GetFileName(Path.TrimEndingDirectorySeparator(spec.SnapshotDirectory));
        var dash = id.LastIndexOf('-');
        var framework = dash > 0 ? id[..dash] : id;
        if (spec.LowerDirectories is { Count: > 0 } || !_options.Snapshots.TryGetValue(framework, out var name))
        {
            throw new SandboxProviderLimitException(spec.LowerDirectories is { Count: > 0 }
                ? "Sandboxes from a repository are not supported on Daytona yet (the checkout is on this machine); use a framework snapshot."
                : $"No Daytona snapshot is mapped for '{SandboxText.Clean(framework, 60)}'; set {DaytonaOptions.Section}:Snapshots:{SandboxText.Clean(framework, 60)} to a Daytona snapshot name.");
        }
        return name;
    }

    private async Task WaitStartedAsync(string sandboxId, DaytonaSandbox sandbox, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + _options.StartTimeout;
        var asked = false;
        while (!sandbox.IsStarted)
        {
            if (sandbox.IsFailed)
            {
                throw new DaytonaException(HttpStatusCode.BadGateway, $"Daytona could not start sandbox {sandboxId}: {SandboxText.Clean(sandbox.ErrorReason ?? sandbox.State ?? "", 300)}");
            }
            if (sandbox.IsStartable && !asked)
            {
                await _client.StartSandboxAsync(sandbox.Id, cancellationToken);
                DaytonaLog.Restarted(_logger, sandboxId, sandbox.State ?? "");
                asked = true;
            }
            if (_time.GetUtcNow() > deadline)
            {
                throw new DaytonaException(HttpStatusCode.GatewayTimeout, $"Daytona sandbox {sandboxId} did not start within {_options.StartTimeout.TotalSeconds:0} s (state {sandbox.State}).");
            }
            await Task.Delay(_options.PollInterval, _time, cancellationToken);
            sandbox = await _client.GetSandboxAsync(sandboxId, cancellationToken) ?? throw new SandboxNotFoundException(sandboxId);
        }
        _toolboxes[sandboxId] = DaytonaToolbox.Of(sandbox, _client.ApiRoot);
    }

    private async Task KillOwnAsync(string sandboxId)
    {
        if (_processes.TryRemove(sandboxId, out var processes))
        {
            await Task.WhenAll(processes.Keys.Select(p => p.KillAsync()));
        }
    }
}
