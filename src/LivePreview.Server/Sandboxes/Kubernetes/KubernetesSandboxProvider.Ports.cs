using System.Net;
using System.Text;

namespace LivePreview.Sandboxes.Kubernetes;

/// <summary>
/// Port detection: the pod's listening sockets from its own <c>/proc/net/tcp{,6}</c>, read by one exec per pass (argv, no
/// shell). The pod shares one network namespace across its processes, so what any of them listens on is there.
/// </summary>
internal sealed partial class KubernetesSandboxProvider : ISandboxPorts
{
    private const int MaxProcNetBytes = 1024 * 1024;

    public async ValueTask<IReadOnlyList<ListeningSocket>> ListListeningAsync(string sandboxId, CancellationToken cancellationToken)
    {
        try
        {
            using var exec = await ExecAsync(sandboxId, ["cat", "/proc/net/tcp", "/proc/net/tcp6"], cancellationToken);
            var text = new StringBuilder();
            var decoder = Encoding.ASCII;
            // cat's exit code is not looked at: a pod without IPv6 has no tcp6, and tcp's lines are still there.
            await Task.WhenAll(
                ExecSession.PumpAsync(exec.Output, (buffer, count) =>
                {
                    if (text.Length + count <= MaxProcNetBytes)
                    {
                        text.Append(decoder.GetString(buffer, 0, count));
                    }
                }),
                ExecSession.PumpAsync(exec.Errors, (_, _) => { })).WaitAsync(cancellationToken);
            await exec.Exited.WaitAsync(cancellationToken);
            return Local.ProcNetTcp.ParseListeners(text.ToString());
        }
        catch (Exception ex) when (ex is k8s.Autorest.HttpOperationException or System.Net.WebSockets.WebSocketException or KubernetesExecException)
        {
            // A pod that is gone or not running has nothing listening.
            return [];
        }
    }

    public IPAddress? AddressOf(string sandboxId) => _addresses.TryGetValue(sandboxId, out var address) ? address : null;
}
