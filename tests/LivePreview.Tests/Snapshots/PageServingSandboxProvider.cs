using System.Net;
using LivePreview.Sandboxes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LivePreview.Tests.Snapshots;

/// <summary>
/// One sandbox whose "dev server" is a real Kestrel that behaves like Vite as far as warming goes:
/// it serves a page, and requesting the page's entry script writes the optimized-deps cache into
/// the sandbox's own folder (an overlay's upper layer, never the snapshot under it).
/// </summary>
internal sealed class PageServingSandboxProvider(string root) : UnusedSandboxProvider
{
    private WebApplication? _server;

    public string? SandboxId { get; private set; }

    public string? SnapshotDirectory { get; private set; }

    public IReadOnlyList<string>? Command { get; private set; }

    public bool Deleted { get; private set; }

    /// <summary>Whether the build folder already had the cache while the sandbox still stood on it (it must not).</summary>
    public bool SnapshotHadCacheBeforeDelete { get; private set; }

    private string Workspace => Path.Combine(root, "sandbox-upper");

    public override Task CreateAsync(SandboxSpec spec, CancellationToken cancellationToken)
    {
        (SandboxId, SnapshotDirectory) = (spec.SandboxId, spec.SnapshotDirectory);
        Directory.CreateDirectory(Workspace);
        return Task.CompletedTask;
    }

    public override async Task<ISandboxProcess> StartProcessAsync(string sandboxId, SandboxProcessSpec spec, CancellationToken cancellationToken)
    {
        Command = spec.Command;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _server = builder.Build();
        _server.MapGet("/", () => Results.Content(
            """<!doctype html><script type="module" src="/@vite/client"></script><script type="module" src="/src/main.js"></script>""", "text/html"));
        _server.MapGet("/@vite/client", () => Results.Content("export {}", "text/javascript"));
        _server.MapGet("/src/main.js", () =>
        {
            var deps = Path.Combine(Workspace, "node_modules", ".vite", "deps");
            Directory.CreateDirectory(deps);
            File.WriteAllText(Path.Combine(deps, "react.js"), "export default {}");
            File.WriteAllText(Path.Combine(deps, "_metadata.json"), """{ "hash": "abc" }""");
            return Results.Content("import 'react'", "text/javascript");
        });
        await _server.StartAsync(cancellationToken);
        return new FakeProcess(_server);
    }

    public override ValueTask<EndPoint> GetPortEndpointAsync(string sandboxId, int port, CancellationToken cancellationToken) =>
        ValueTask.FromResult<EndPoint>(new IPEndPoint(IPAddress.Loopback, new Uri(_server!.Urls.First()).Port));

    public override ISandboxFileSystem Files(string sandboxId) => new DirectoryFileSystem(Workspace);

    public override async Task DeleteAsync(string sandboxId, CancellationToken cancellationToken)
    {
        SnapshotHadCacheBeforeDelete = Directory.Exists(Path.Combine(SnapshotDirectory!, "node_modules", ".vite"));
        Deleted = true;
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        Directory.Delete(Workspace, recursive: true);
    }

    private sealed class FakeProcess(WebApplication server) : ISandboxProcess
    {
        private readonly TaskCompletionSource<int> _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int ProcessId => Environment.ProcessId;

        public Task<int> Exited => _exited.Task;

        public async IAsyncEnumerable<string> ReadOutputAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return "VITE ready (fake)";
            await _exited.Task.WaitAsync(cancellationToken);
        }

        public async Task KillAsync()
        {
            await server.StopAsync();
            _exited.TrySetResult(137);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

/// <summary>A sandbox file system over a host folder.</summary>
internal sealed class DirectoryFileSystem(string root) : ISandboxFileSystem
{
    public Task<Stream?> OpenReadAsync(string path, CancellationToken cancellationToken) =>
        Task.FromResult<Stream?>(File.Exists(Full(path)) ? File.OpenRead(Full(path)) : null);

    public async Task WriteAsync(string path, Stream content, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Full(path))!);
        await using var file = File.Create(Full(path));
        await content.CopyToAsync(file, cancellationToken);
    }

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<IReadOnlyList<SandboxFileEntry>?> ListAsync(string directory, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<SandboxFileEntry>?>(Directory.Exists(Full(directory))
            ? new DirectoryInfo(Full(directory)).EnumerateFileSystemInfos().Select(i => Entry($"{directory}/{i.Name}", i)).ToList()
            : null);

    public Task<SandboxFileEntry?> StatAsync(string path, CancellationToken cancellationToken)
    {
        FileSystemInfo info = Directory.Exists(Full(path)) ? new DirectoryInfo(Full(path)) : new FileInfo(Full(path));
        return Task.FromResult(info.Exists ? Entry(path, info) : null);
    }

    private string Full(string path) => Path.Combine(root, path);

    private static SandboxFileEntry Entry(string path, FileSystemInfo info) =>
        new(path, info.Name, info is DirectoryInfo, info is FileInfo f ? f.Length : 0, info.LastWriteTimeUtc);
}
