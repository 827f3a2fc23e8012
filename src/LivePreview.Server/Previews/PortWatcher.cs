using System.Collections.Concurrent;
using System.Net;
using LivePreview.Egress;
using LivePreview.Events;
using LivePreview.Frameworks;
using LivePreview.Gateway;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Previews;

/// <summary>A port something listens on inside a sandbox, as port detection last saw it.</summary>
/// <param name="Reachable">Bound to a wildcard or to the sandbox's own address, so the proxy can reach it; false for loopback only.</param>
public sealed record DetectedPort(int Port, string Address, bool Reachable, DateTimeOffset OpenedAt);

/// <summary>
/// Port detection: every <see cref="PortDetectionOptions.Interval"/> it asks the provider (<see cref="ISandboxPorts"/>)
/// which TCP ports listen inside each running sandbox. A new reachable port is PORT_OPENED and gets a watch-only preview
/// (the dev server's own port has its preview already); a port that stops listening is PORT_CLOSED and its watch-only
/// preview stops; a loopback-only listener is PORT_OPENED with <c>reachable: false</c> and a hint, without a preview; a port
/// beyond <see cref="PortDetectionOptions.MaxPorts"/> is PORT_REFUSED, once. What it knows is in memory only: after a
/// restart it starts from nothing once start-up reconciliation has run, and detects the ports again.
/// </summary>
public sealed partial class PortWatcher(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    ISandboxProvider provider,
    PreviewManager previews,
    IEventBus events,
    StartupBarrier barrier,
    IOptions<PreviewOptions> options,
    IOptions<GatewayOptions> gateway,
    IOptions<EgressOptions> egress,
    Instances.InstanceIdentity instance,
    TimeProvider time,
    ILogger<PortWatcher> logger) : BackgroundService
{
    /// <summary>Previews a sandbox may hold, stopped ones included, per <see cref="PortDetectionOptions.MaxPorts"/>.</summary>
    public const int StoredPreviewsPerPort = 5;

    private readonly ConcurrentDictionary<string, SandboxPorts> _bySandbox = new(StringComparer.Ordinal);

    private PortDetectionOptions Options => options.Value.PortDetection;

    /// <summary>The ports the last look found listening in the sandbox (empty for one that is not running), lowest first.</summary>
    public IReadOnlyList<DetectedPort> PortsOf(string sandboxId) =>
        _bySandbox.TryGetValue(sandboxId, out var state) ? state.Published : [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!Options.Enabled || provider is not ISandboxPorts ports)
        {
            return;
        }
        // Previews are reloaded and sandboxes attached first: a preview made before would be overwritten by the reload.
        await barrier.WaitAsync(stoppingToken);
        using var timer = new PeriodicTimer(Options.Interval, time);
        do
        {
            try
            {
                await PollAsync(ports, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogPollFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task PollAsync(ISandboxPorts ports, CancellationToken ct)
    {
        List<(string Id, string Framework, string? Plan)> running;
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            running = (await db.Sandboxes.AsNoTracking().Where(s => s.Status == SandboxStatus.Running && s.InstanceId == instance.Id)
                .Select(s => new { s.Id, s.Framework, s.DevServerPlan }).ToListAsync(ct)).Select(s => (s.Id, s.Framework, s.DevServerPlan)).ToList();
        }
        // A stopped or deleted sandbox is watched no more; its previews were stopped with it.
        var ids = running.Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var gone in _bySandbox.Keys.Where(id => !ids.Contains(id)))
        {
            _bySandbox.TryRemove(gone, out _);
        }
        foreach (var (id, framework, plan) in running)
        {
            try
            {
                var state = _bySandbox.GetOrAdd(id, _ => new SandboxPorts(DevServerPort(framework, plan)));
                await PollSandboxAsync(ports, id, state, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested && ex is not OperationCanceledException)
            {
                LogSandboxPollFailed(logger, ex, id);
            }
        }
    }

    /// <summary>
    /// The port the sandbox's own dev server listens on, which has its preview already: a repository sandbox's stored plan
    /// says it (any framework, any port), a template's definition otherwise; null when neither is known yet.
    /// </summary>
    private static int? DevServerPort(string framework, string? plan) =>
        Repositories.RepositoryJson.Read<Repositories.DevServerPlan>(plan)?.Port
        ?? (FrameworkCatalog.TryGet(framework, out var template) ? template.DefaultPort : null);

    private async Task PollSandboxAsync(ISandboxPorts ports, string sandboxId, SandboxPorts state, CancellationToken ct)
    {
        var sockets = await ports.ListListeningAsync(sandboxId, ct);
        var own = ports.AddressOf(sandboxId);
        var ignored = Ignored();
        var now = sockets.Where(s => !ignored.Contains(s.Port)).GroupBy(s => s.Port)
            .ToDictionary(g => g.Key, g => Classify(g, own));

        // A port whose reachability changed (rebound from 127.0.0.1 to 0.0.0.0) closes and opens again.
        foreach (var port in state.Open.Values.Where(p => !now.TryGetValue(p.Port, out var seen) || seen.Reachable != p.Reachable).ToList())
        {
            state.Open.Remove(port.Port);
            // The list is current before the event goes out: whoever reacts to the event and asks for the ports sees it.
            state.Publish();
            await ClosedAsync(sandboxId, state.DevServerPort, port, ct);
        }
        state.Refused.RemoveWhere(port => !now.ContainsKey(port));
        foreach (var (port, seen) in now.OrderBy(kv => kv.Key))
        {
            if (state.Open.ContainsKey(port) || state.Refused.Contains(port))
            {
                continue;
            }
            if (Refusal(sandboxId, state, port, seen.Reachable) is { } reason)
            {
                state.Refused.Add(port);
                LogRefused(logger, sandboxId, port, reason);
                await events.PublishAsync(new EventDraft(EventTypes.PortRefused, EntityTypes.Sandbox, sandboxId, sandboxId,
                    new { port, address = seen.Address.ToString(), max_ports = Options.MaxPorts, reason }), CancellationToken.None);
                continue;
            }
            var detected = new DetectedPort(port, seen.Address.ToString(), seen.Reachable, time.GetUtcNow());
            state.Open[port] = detected;
            state.Publish();
            await OpenedAsync(sandboxId, state.DevServerPort, detected, ct);
        }
    }

    /// <summary>Why a new port gets nothing: too many open, or too many previews made already (a sandbox cycling ports would make one each).</summary>
    private string? Refusal(string sandboxId, SandboxPorts state, int port, bool reachable)
    {
        var max = Options.MaxPorts;
        if (state.Open.Count >= max)
        {
            return $"Port {port} is not previewed: {max} ports are open in this sandbox already (LivePreview:Previews:PortDetection:MaxPorts). Close one first.";
        }
        if (!reachable || port == state.DevServerPort)
        {
            return null;
        }
        var all = previews.ForSandbox(sandboxId);
        var existing = all.FirstOrDefault(p => p.Port == port);
        if (existing is null or { Status: PreviewStatus.Stopped } && all.Count(p => p.Status != PreviewStatus.Stopped) >= max)
        {
            return $"Port {port} is not previewed: {max} previews of this sandbox run already (LivePreview:Previews:PortDetection:MaxPorts). Stop one first.";
        }
        // A stopped preview stays (it comes back, same address, when its port opens again); a sandbox cycling through
        // ports would make one for each, so there is a ceiling on how many it can hold.
        if (existing is null && all.Count >= max * StoredPreviewsPerPort)
        {
            return $"Port {port} is not previewed: this sandbox holds {all.Count} previews, the most it may (MaxPorts × {StoredPreviewsPerPort}, LivePreview:Previews:PortDetection:MaxPorts); they go with the sandbox.";
        }
        return null;
    }

    private async Task OpenedAsync(string sandboxId, int? devServerPort, DetectedPort port, CancellationToken ct)
    {
        string? previewId = null, hint = null;
        if (!port.Reachable)
        {
            hint = $"Port {port.Port} listens on {port.Address} only, which the preview cannot reach: listen on 0.0.0.0 (or ::) to preview it.";
        }
        else if (port.Port == devServerPort)
        {
            // The dev server's own port has its preview (started, stopped and restarted by the sandbox's lifecycle).
            previewId = previews.Find(new PreviewTarget(sandboxId, port.Port))?.Id;
        }
        else
        {
            try
            {
                previewId = (await previews.EnsureWatchedAsync(sandboxId, port.Port, ct)).Id;
            }
            catch (PreviewNotSupportedException ex)
            {
                hint = ex.Message;
            }
        }
        LogOpened(logger, sandboxId, port.Port, port.Address, port.Reachable);
        await events.PublishAsync(new EventDraft(EventTypes.PortOpened, EntityTypes.Sandbox, sandboxId, sandboxId,
            new { port = port.Port, address = port.Address, reachable = port.Reachable, preview_id = previewId, hint }), CancellationToken.None);
    }

    private async Task ClosedAsync(string sandboxId, int? devServerPort, DetectedPort port, CancellationToken ct)
    {
        LogClosed(logger, sandboxId, port.Port);
        await events.PublishAsync(new EventDraft(EventTypes.PortClosed, EntityTypes.Sandbox, sandboxId, sandboxId,
            new { port = port.Port, address = port.Address }), CancellationToken.None);
        if (port.Reachable && port.Port != devServerPort
            && previews.Find(new PreviewTarget(sandboxId, port.Port)) is { Status: not PreviewStatus.Stopped } preview)
        {
            await previews.StopAsync(preview.Id, ct);
        }
    }

    private HashSet<int> Ignored() => [.. Options.IgnoredPorts, gateway.Value.SandboxPort, egress.Value.SandboxPort];

    /// <summary>One port may have several sockets (0.0.0.0 and ::, or 127.0.0.1 and ::1): reachable if any of them is.</summary>
    private static (IPAddress Address, bool Reachable) Classify(IEnumerable<ListeningSocket> sockets, IPAddress? own)
    {
        var all = sockets.ToList();
        foreach (var socket in all)
        {
            if (IsReachable(socket.Address, own))
            {
                return (socket.Address, true);
            }
        }
        return (all[0].Address, false);
    }

    internal static bool IsReachable(IPAddress address, IPAddress? own) =>
        address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || (own is not null && address.Equals(own));

    /// <param name="devServerPort">The port of the sandbox's own dev server (read once: a running sandbox keeps its plan).</param>
    private sealed class SandboxPorts(int? devServerPort)
    {
        public int? DevServerPort { get; } = devServerPort;

        public Dictionary<int, DetectedPort> Open { get; } = [];

        public HashSet<int> Refused { get; } = [];

        public volatile IReadOnlyList<DetectedPort> Published = [];

        public void Publish() => Published = [.. Open.Values.OrderBy(p => p.Port)];
    }

    [LoggerMessage(EventId = 2500, Level = LogLevel.Information, Message = "Sandbox {SandboxId}: port {Port} opened on {Address} (reachable: {Reachable})")]
    private static partial void LogOpened(ILogger logger, string sandboxId, int port, string address, bool reachable);

    [LoggerMessage(EventId = 2501, Level = LogLevel.Information, Message = "Sandbox {SandboxId}: port {Port} closed")]
    private static partial void LogClosed(ILogger logger, string sandboxId, int port);

    [LoggerMessage(EventId = 2502, Level = LogLevel.Warning, Message = "Sandbox {SandboxId}: port {Port} refused: {Reason}")]
    private static partial void LogRefused(ILogger logger, string sandboxId, int port, string reason);

    [LoggerMessage(EventId = 2503, Level = LogLevel.Warning, Message = "Port detection could not read the ports of sandbox {SandboxId}")]
    private static partial void LogSandboxPollFailed(ILogger logger, Exception ex, string sandboxId);

    [LoggerMessage(EventId = 2504, Level = LogLevel.Error, Message = "Port detection failed this round")]
    private static partial void LogPollFailed(ILogger logger, Exception ex);
}
