using System.Collections.Concurrent;

namespace LivePreview.Hosting;

/// <summary>
/// One containment boundary of the sandboxes (a resource limit, a syscall filter, the firewall …) and
/// whether this host enforces it. <see cref="How"/> says by what, or why not.
/// </summary>
public sealed record ContainmentEntry(string Name, bool Enforced, string How)
{
    /// <summary>Not enforced because a setting turned it off on purpose: reported, but the service is not degraded by it.</summary>
    public bool SwitchedOff { get; init; }

    public static ContainmentEntry On(string name, string how) => new(name, true, how);

    public static ContainmentEntry Unavailable(string name, string why) => new(name, false, why);

    public static ContainmentEntry Off(string name, string setting) => new(name, false, $"switched off ({setting})") { SwitchedOff = true };
}

/// <summary>
/// Reports entries once at start-up. Each part that builds a boundary registers one
/// (<c>services.TryAddEnumerable(ServiceDescriptor.Singleton&lt;IContainmentProbe, MyProbe&gt;())</c>);
/// a probe may do the set-up its answer depends on (the cgroup probe creates the parent groups).
/// </summary>
public interface IContainmentProbe
{
    IEnumerable<ContainmentEntry> Probe();
}

/// <summary>
/// What the sandboxes' containment looks like on this host, by boundary name: filled by the
/// <see cref="IContainmentProbe"/>s at start-up, and by any part that learns more later
/// (<see cref="Report"/> replaces the entry of that name: a firewall that was flushed, then restored).
/// Logged at start-up and served by <c>GET /api/v1/health</c>.
/// </summary>
public sealed class ContainmentStatus
{
    private readonly ConcurrentDictionary<string, ContainmentEntry> _entries = new(StringComparer.Ordinal);

    public void Report(ContainmentEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        _entries[entry.Name] = entry;
    }

    public IReadOnlyList<ContainmentEntry> Entries => _entries.Values.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();

    /// <summary>Some boundary that should hold does not (one switched off by a setting does not count).</summary>
    public bool IsDegraded => _entries.Values.Any(e => !e.Enforced && !e.SwitchedOff);
}

/// <summary>Runs the probes before the service listens and logs each boundary: enforced, switched off, or not enforced and why.</summary>
internal sealed partial class ContainmentStartup(IEnumerable<IContainmentProbe> probes, ContainmentStatus status, ILogger<ContainmentStatus> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in probes.SelectMany(p => p.Probe()))
        {
            status.Report(entry);
        }
        foreach (var entry in status.Entries)
        {
            if (entry.Enforced)
            {
                LogEnforced(logger, entry.Name, entry.How);
            }
            else if (entry.SwitchedOff)
            {
                LogSwitchedOff(logger, entry.Name, entry.How);
            }
            else
            {
                LogNotEnforced(logger, entry.Name, entry.How);
            }
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Containment: {Name} is enforced by {How}")]
    private static partial void LogEnforced(ILogger logger, string name, string how);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "Containment: {Name} is NOT enforced on this host: {Why}")]
    private static partial void LogNotEnforced(ILogger logger, string name, string why);

    [LoggerMessage(EventId = 22, Level = LogLevel.Information, Message = "Containment: {Name} is {How}")]
    private static partial void LogSwitchedOff(ILogger logger, string name, string how);
}
