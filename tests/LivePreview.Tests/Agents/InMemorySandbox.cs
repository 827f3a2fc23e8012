using System.Collections.Concurrent;
using System.Net;
using System.Text;
using LivePreview.Sandboxes;

namespace LivePreview.Tests.Agents;

/// <summary>A sandbox that is only files, in memory; every file-system call is recorded on the timeline.</summary>
internal sealed class InMemorySandbox(Timeline timeline) : ISandboxProvider, ISandboxFileSystem
{
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _modified = new(StringComparer.Ordinal);

    /// <summary>The modification time the next write (or seed) gets; the Unix epoch until a test sets it.</summary>
    public DateTimeOffset Now { get; set; } = DateTimeOffset.UnixEpoch;

    public string Name => "in-memory";

    /// <summary>Every call that reached the "disk", as "write src/App.tsx", "stat src", …</summary>
    public ConcurrentQueue<string> Calls { get; } = new();

    public InMemorySandbox Seed(string path, string content)
    {
        _files[path] = Encoding.UTF8.GetBytes(content);
        _modified[path] = Now;
        return this;
    }

    public string? Text(string path) => _files.TryGetValue(path, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    public IReadOnlyCollection<string> Paths => [.. _files.Keys];

    public ISandboxFileSystem Files(string sandboxId) => this;

    public Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken)
    {
        Record("read", path);
        return Task.FromResult<Stream?>(_files.TryGetValue(path, out var bytes) ? new MemoryStream(bytes, writable: false) : null);
    }

    public async Task WriteAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await content.CopyToAsync(buffer, cancellationToken);
        _files[path] = buffer.ToArray();
        _modified[path] = Now;
        Record("write", path);
    }

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken)
    {
        Record("delete", path);
        return Task.FromResult(_files.TryRemove(path, out _));
    }

    public Task<IReadOnlyList<SandboxFileEntry>?> ListAsync(string directory, CancellationToken cancellationToken)
    {
        Record("list", directory);
        var prefix = directory.Length == 0 ? "" : directory + "/";
        var below = _files.Keys.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).Select(p => p[prefix.Length..]).ToList();
        if (below.Count == 0 && directory.Length > 0)
        {
            return Task.FromResult<IReadOnlyList<SandboxFileEntry>?>(null);
        }
        IReadOnlyList<SandboxFileEntry> entries = below
            .Select(rest => rest.Split('/')[0])
            .Distinct()
            .Select(name => Entry(prefix + name)!)
            .OrderBy(e => e.Name, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult<IReadOnlyList<SandboxFileEntry>?>(entries);
    }

    public Task<SandboxFileEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        Record("stat", path);
        return Task.FromResult(Entry(path));
    }

    private SandboxFileEntry? Entry(string path)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        if (_files.TryGetValue(path, out var bytes))
        {
            return new SandboxFileEntry(path, name, false, bytes.Length, _modified.GetValueOrDefault(path, DateTimeOffset.UnixEpoch));
        }
        return path.Length == 0 || _files.Keys.Any(p => p.StartsWith(path + "/", StringComparison.Ordinal))
            ? new SandboxFileEntry(path, name, true, 0, DateTimeOffset.UnixEpoch)
            : null;
    }

    private void Record(string operation, string path)
    {
        Calls.Enqueue($"{operation} {path}");
        timeline.Add($"{operation} {path}");
    }

    public Task CreateAsync(SandboxSpec spec, CancellationToken cancellationToken) => throw NotAFileOperation();

    public Task<bool> AttachAsync(SandboxSpec spec, CancellationToken cancellationToken) => throw NotAFileOperation();

    public Task<ISandboxProcess> StartProcessAsync(string sandboxId, SandboxProcessSpec spec, CancellationToken cancellationToken) => throw NotAFileOperation();

    public Task<SandboxCommandResult> RunCommandAsync(string sandboxId, SandboxProcessSpec spec, TimeSpan timeout, CancellationToken cancellationToken) => throw NotAFileOperation();

    public ValueTask<EndPoint> GetPortEndpointAsync(string sandboxId, int port, CancellationToken cancellationToken) => throw NotAFileOperation();

    public Task StopAsync(string sandboxId, CancellationToken cancellationToken) => throw NotAFileOperation();

    Task ISandboxProvider.DeleteAsync(string sandboxId, CancellationToken cancellationToken) => throw NotAFileOperation();

    public Task<SandboxHealth> GetHealthAsync(string sandboxId, CancellationToken cancellationToken) => throw NotAFileOperation();

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken) => throw NotAFileOperation();

    private static InvalidOperationException NotAFileOperation() => new("Agents only touch files.");
}
