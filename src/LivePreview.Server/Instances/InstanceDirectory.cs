using System.Buffers;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Sandboxes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Instances;

/// <summary>
/// Which instance a request is for: the sandbox it names (a preview host, a <c>/api/v1/sandboxes/{id}/…</c> path, the body of <c>POST /api/v1/preview</c>, a
/// preview, session or prototype id), the instance that runs it, and whether that instance is alive and not this one.
/// Reads are cached briefly (instances: a second; a sandbox's instance: until it is seen to change), so a preview's
/// every asset does not cost database round trips; a lone instance answers "here" without asking anything.
/// </summary>
public sealed partial class InstanceDirectory(
    IDbContextFactory<LivePreviewDbContext> dbFactory,
    InstanceIdentity identity,
    InstanceRegistry registry,
    IOptions<InstanceOptions> options,
    TimeProvider time)
{
    private static readonly TimeSpan InstancesFor = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SandboxFor = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, (string? InstanceId, DateTimeOffset At)> _sandboxes = new(StringComparer.Ordinal);
    private LiveInstances _live = new([], DateTimeOffset.MinValue);

    /// <summary>The live instances (this one included once it registered), cached for a second.</summary>
    public async Task<IReadOnlyList<InstanceRecord>> LiveAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (now - _live.At > InstancesFor)
        {
            _live = new LiveInstances(await registry.LiveAsync(cancellationToken), now);
        }
        return _live.Live;
    }

    /// <summary>Forwarding needs the shared secret; without it each instance answers what reaches it (a lone instance needs none).</summary>
    public bool CanForward => !string.IsNullOrEmpty(options.Value.Secret);

    /// <summary>Another live instance that should answer this request, or null: it is this one's (or nobody's).</summary>
    public async Task<InstanceRecord?> OwnerOfRequestAsync(HttpContext context, PreviewAddress address, CancellationToken cancellationToken)
    {
        var live = await LiveAsync(cancellationToken);
        if (live.Count == 0 || live.All(i => i.Id == identity.Id) || !CanForward)
        {
            return null;
        }
        var sandboxId = await SandboxOfAsync(context.Request, address, cancellationToken);
        if (sandboxId is null)
        {
            return null;
        }
        var instanceId = await InstanceOfAsync(sandboxId, cancellationToken);
        return instanceId is null || instanceId == identity.Id ? null : live.FirstOrDefault(i => i.Id == instanceId);
    }

    /// <summary>
    /// Another live instance that runs this sandbox, or null (this one's, nobody's, or its instance is gone). The dashboard
    /// asks before acting: its components call this instance's services, which reach only this instance's sandboxes, so
    /// for another's it sends the action there (<see cref="InstanceClient"/>).
    /// </summary>
    public async Task<InstanceRecord?> ElsewhereAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var instanceId = await InstanceOfAsync(sandboxId, cancellationToken);
        return instanceId is null || instanceId == identity.Id ? null
            : (await LiveAsync(cancellationToken)).FirstOrDefault(i => i.Id == instanceId);
    }

    /// <summary>What the dashboard says of a sandbox that <paramref name="owner"/> runs: its actions go there, or (no shared secret) cannot.</summary>
    public string ElsewhereSentence(string owner) => CanForward
        ? $"This sandbox runs on instance {owner}; this page is served by instance {identity.Id}, which sends its actions there."
        : $"This sandbox runs on instance {owner}, and this page is served by instance {identity.Id}, which cannot reach it: without "
            + $"{InstanceOptions.Section}:Secret the instances forward nothing, so this page's actions (stop, start, delete, file edits, "
            + $"agent sessions, prompts) are refused here. Reload the page (the balancer may serve it from {owner}).";

    /// <summary>The instance recorded for a sandbox (cached; null: no such sandbox).</summary>
    public async Task<string?> InstanceOfAsync(string sandboxId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (_sandboxes.TryGetValue(sandboxId, out var cached) && now - cached.At < SandboxFor)
        {
            return cached.InstanceId;
        }
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.Sandboxes.AsNoTracking().Where(s => s.Id == sandboxId).Select(s => new { s.InstanceId }).FirstOrDefaultAsync(cancellationToken);
        if (row is not null)
        {
            _sandboxes[sandboxId] = (row.InstanceId, now);
        }
        return row?.InstanceId;
    }

    /// <summary>
    /// How much of a body is read to find the sandbox it names: <c>POST /api/v1/preview</c> is a few dozen bytes. A larger
    /// (or unreadable) body is served where it lands, which answers it as it would any request for that sandbox.
    /// </summary>
    internal const int MaxInspectedBody = 64 * 1024;

    /// <summary>The sandbox a request is about, from its host, its path or its body; null for anything else (served where it lands).</summary>
    internal async Task<string?> SandboxOfAsync(HttpRequest request, PreviewAddress address, CancellationToken cancellationToken)
    {
        if (address.TryMatch(request, out var target))
        {
            return target.SandboxId;
        }
        var path = request.Path.Value ?? "";
        if (HttpMethods.IsPost(request.Method) && path.TrimEnd('/') == "/api/v1/preview")
        {
            return await SandboxOfBodyAsync(request, cancellationToken);
        }
        if (SandboxPath().Match(path) is { Success: true } sandbox)
        {
            return sandbox.Groups["id"].Value;
        }
        if (PreviewPath().Match(path) is { Success: true } preview)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var id = preview.Groups["id"].Value;
            return await db.Previews.AsNoTracking().Where(p => p.Id == id).Select(p => p.SandboxId).FirstOrDefaultAsync(cancellationToken);
        }
        if (PrototypePath().Match(path) is { Success: true } prototype)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var id = prototype.Groups["id"].Value;
            return await db.PrototypeSessions.AsNoTracking().Where(p => p.Id == id).Select(p => p.SandboxId).FirstOrDefaultAsync(cancellationToken);
        }
        return null;
    }

    /// <summary>
    /// The <c>sandbox_id</c> of a JSON body (<c>POST /api/v1/preview</c>), read into a buffer of at most
    /// <see cref="MaxInspectedBody"/> and rewound, so whoever answers — this instance or the owner through the forwarder —
    /// reads the whole body from its start.
    /// </summary>
    private static async Task<string?> SandboxOfBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength is > MaxInspectedBody or 0)
        {
            return null;
        }
        request.EnableBuffering(bufferThreshold: MaxInspectedBody);
        var buffer = ArrayPool<byte>.Shared.Rent(MaxInspectedBody + 1);
        try
        {
            var length = 0;
            for (int read; length <= MaxInspectedBody && (read = await request.Body.ReadAsync(buffer.AsMemory(length, MaxInspectedBody + 1 - length), cancellationToken)) > 0;)
            {
                length += read;
            }
            return length > MaxInspectedBody ? null : SandboxIdOf(buffer.AsSpan(0, length));
        }
        catch (IOException)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            request.Body.Position = 0;
        }
    }

    /// <summary>The top-level <c>"sandbox_id"</c> string of a JSON object, or null when the body is not one (served here; the endpoint says why).</summary>
    internal static string? SandboxIdOf(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            // As the endpoint's binding reads it: names case-insensitively, the last of duplicates.
            string? id = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = string.Equals(reader.GetString(), "sandbox_id", StringComparison.OrdinalIgnoreCase);
                reader.Read();
                if (isId)
                {
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                }
                reader.Skip();
            }
            return id;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// <c>/api/v1/sandboxes/{id}[/…]</c> (files, terminal, commands, ports, stop, start, delete), <c>/api/v1/sandbox/{id}/…</c>
    /// (agent sessions, questions) and <c>/api/v1/preview/sandbox/{id}</c>. Events are not here: every instance serves them.
    /// </summary>
    [GeneratedRegex("^/api/v1/(?:sandboxes|sandbox|preview/sandbox)/(?<id>[a-z][a-z0-9]{11})(?:/|$)")]
    private static partial Regex SandboxPath();

    /// <summary><c>/api/v1/preview/{previewId}[/…]</c> (status, stop, grants).</summary>
    [GeneratedRegex("^/api/v1/preview/(?<id>(?!sandbox/)[A-Za-z0-9_-]{1,64})(?:/|$)")]
    private static partial Regex PreviewPath();

    private sealed record LiveInstances(IReadOnlyList<InstanceRecord> Live, DateTimeOffset At);

    [GeneratedRegex("^/api/v1/prototype/session/(?<id>[A-Za-z0-9_-]{1,64})(?:/|$)")]
    private static partial Regex PrototypePath();
}
