using LivePreview.Sandboxes;
using LivePreview.Tests.Sandboxes.Local;

namespace LivePreview.Tests.Sandboxes.Contract;

/// <summary>The provider contract against real namespaces, overlayfs and bubblewrap on this machine.</summary>
public sealed class LocalContractTests : SandboxTerminalContract
{
    private readonly LocalSandboxHarness _harness = new(Environment.GetEnvironmentVariable("LivePreview__Sandboxes__Local__SubnetPrefix") ?? "10.236");

    protected override ISandboxProvider Provider => _harness.Provider;

    protected override string NewId() => _harness.NewId();

    protected override SandboxSpec Spec(string id) => new(id, _harness.Snapshot);

    protected override Task RestartAsync() => _harness.RestartAsync();

    // Each sandbox has its own network: a fixed port never collides.
    protected override int ServerPort() => 8123;

    public override Task DisposeAsync() => _harness.DisposeAsync().AsTask();
}
