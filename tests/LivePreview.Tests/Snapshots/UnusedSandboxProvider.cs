using System.Net;
using LivePreview.Sandboxes;

namespace LivePreview.Tests.Snapshots;

/// <summary>For builds that must not touch a sandbox at all: every call fails the test.</summary>
internal class UnusedSandboxProvider : ISandboxProvider
{
    public string Name => "unused";

    public virtual Task CreateAsync(SandboxSpec spec, CancellationToken cancellationToken) => throw Unexpected();

    public Task<bool> AttachAsync(SandboxSpec spec, CancellationToken cancellationToken) => throw Unexpected();

    public virtual Task<ISandboxProcess> StartProcessAsync(string sandboxId, SandboxProcessSpec spec, CancellationToken cancellationToken) => throw Unexpected();

    public Task<SandboxCommandResult> RunCommandAsync(string sandboxId, SandboxProcessSpec spec, TimeSpan timeout, CancellationToken cancellationToken) => throw Unexpected();

    public virtual ISandboxFileSystem Files(string sandboxId) => throw Unexpected();

    public virtual ValueTask<EndPoint> GetPortEndpointAsync(string sandboxId, int port, CancellationToken cancellationToken) => throw Unexpected();

    public Task StopAsync(string sandboxId, CancellationToken cancellationToken) => throw Unexpected();

    public virtual Task DeleteAsync(string sandboxId, CancellationToken cancellationToken) => throw Unexpected();

    public Task<SandboxHealth> GetHealthAsync(string sandboxId, CancellationToken cancellationToken) => throw Unexpected();

    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken) => throw Unexpected();

    private static InvalidOperationException Unexpected() => new("The snapshot build was not expected to use a sandbox.");
}
