using System.Diagnostics;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Closes the one path out of a sandbox's network namespace: the host end of its veth. Without it a
/// sandbox could connect to any host service bound to 0.0.0.0. New connections arriving on a
/// <c>lph*</c> interface are dropped; replies to connections the host opened (the proxy, readiness
/// probes) are established and pass; nothing is forwarded to or from sandboxes.
/// </summary>
internal sealed partial class SandboxFirewall(LocalSandboxOptions options, ILogger logger)
{
    // "table …; delete table …" makes the load idempotent and atomic: nft applies a file as one transaction.
    private const string Ruleset = """
        table inet livepreview
        delete table inet livepreview
        table inet livepreview {
          chain input {
            type filter hook input priority filter; policy accept;
            iifname "lph*" ct state established,related accept
            iifname "lph*" drop
          }
          chain forward {
            type filter hook forward priority filter; policy accept;
            iifname "lph*" drop
            oifname "lph*" drop
          }
        }
        """;

    private readonly SemaphoreSlim _gate = new(1, 1);
    private bool _applied;

    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (_applied || !options.Firewall)
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (!_applied)
            {
                await ApplyAsync(cancellationToken);
                _applied = true;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(options.NftPath) { RedirectStandardInput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-f");
        start.ArgumentList.Add("-");
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            LogNoFirewall(logger, options.NftPath);
            return;
        }
        using (process)
        {
            await process.StandardInput.WriteAsync(Ruleset.AsMemory(), cancellationToken);
            process.StandardInput.Close();
            var error = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new IOException($"Loading the sandbox firewall with '{options.NftPath}' failed: {error.Trim()} (set LivePreview:Sandboxes:Local:Firewall=false to run without it).");
            }
        }
    }

    [LoggerMessage(EventId = 470, Level = LogLevel.Warning, Message = "'{Nft}' is not installed: sandboxes can reach host services bound to all addresses. Install nftables.")]
    private static partial void LogNoFirewall(ILogger logger, string nft);
}
