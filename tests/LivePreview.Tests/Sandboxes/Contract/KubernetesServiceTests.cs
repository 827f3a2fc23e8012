using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using LivePreview.Tests.Support;
using LivePreview.Tests.Terminals;

namespace LivePreview.Tests.Sandboxes.Contract;

/// <summary>
/// The whole service on the Kubernetes provider: a react-vite sandbox as a pod of <see cref="FakeKubernetes"/> (a real local
/// sandbox from the built snapshot, the image's stand-in, with a real Vite dev server started through exec), previewed
/// through our proxy, which dials the pod IP; an edit through the files API (exec again) reaches the page as an HMR update.
/// The terminal WebSocket runs its shell in the pod through a TTY exec.
/// </summary>
public sealed class KubernetesServiceTests() : ProviderServiceTests("kubernetes")
{
    private const string Image = "registry.test/livepreview/react-vite:1";
    private FakeKubernetes? _kube;

    protected override async Task<IDictionary<string, string?>> StartProviderAsync(string snapshot)
    {
        _kube = await FakeKubernetes.StartAsync(new Dictionary<string, string> { [Image] = snapshot });
        return new Dictionary<string, string?>
        {
            ["LivePreview:Sandboxes:Provider"] = "Kubernetes",
            ["LivePreview:Sandboxes:Kubernetes:KubeConfig"] = _kube.KubeConfigPath,
            ["LivePreview:Sandboxes:Kubernetes:Namespace"] = FakeKubernetes.Namespace,
            ["LivePreview:Sandboxes:Kubernetes:Images:react-vite"] = Image,
            ["LivePreview:Sandboxes:Kubernetes:IngressCidrs:0"] = "10.0.0.0/8",
        };
    }

    protected override ValueTask StopProviderAsync() => _kube?.DisposeAsync() ?? ValueTask.CompletedTask;

    [Fact]
    public async Task The_terminal_websocket_runs_a_shell_in_the_pod_that_resizes_and_reports_its_exit()
    {
        var id = (await Host.CreateSandboxAsync("react-vite")).GetProperty("id").GetString()!;
        await WaitRunningAsync(id);
        await using var terminal = await TerminalClient.ConnectAsync(Host, id, "terminal=pod");

        await terminal.TypeAsync("echo hel\"\"lo; pwd\r");
        await terminal.WaitForAsync("hello");
        await terminal.WaitForAsync("/app");
        await terminal.ControlAsync(new { type = "resize", cols = 120, rows = 32 });
        await terminal.TypeAsync("echo size=$(stty size)\r");
        await terminal.WaitForAsync("size=32 120");
        await terminal.TypeAsync("exit 3\r");

        var exit = await terminal.ReceiveControlAsync();
        Assert.NotNull(exit);
        Assert.Equal(("exit", 3), (exit.Value.GetProperty("type").GetString(), exit.Value.GetProperty("code").GetInt32()));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await terminal.WaitForCloseAsync());
        Assert.Contains(_kube!.Requests, r => r.Contains("/exec?", StringComparison.Ordinal) && r.Contains("&tty=1", StringComparison.Ordinal));
    }

    private async Task WaitRunningAsync(string id)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(4);
        string? status;
        while ((status = (await Host.Http.GetFromJsonAsync<JsonElement>($"api/v1/sandboxes/{id}")).GetProperty("status").GetString()) != "running")
        {
            Assert.True(status == "creating" && DateTime.UtcNow < deadline, $"Sandbox {id} is {status}.");
            await Task.Delay(100);
        }
    }
}
