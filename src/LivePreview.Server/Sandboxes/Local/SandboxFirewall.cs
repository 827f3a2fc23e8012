using System.ComponentModel;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// Closes the one path out of a sandbox's network namespace: the host end of its veth. Without it a
/// sandbox could connect to any host service bound to 0.0.0.0. New connections arriving on a
/// <c>lph*</c> interface are dropped; replies to connections the host opened (the proxy, readiness
/// probes) are established and pass; nothing is forwarded to or from sandboxes. A packet whose source address is
/// not routed back through the veth it came in on (a sandbox posing as another, to slip into the host's connection
/// with it) is dropped first: a reverse-path check, whatever the host's <c>rp_filter</c> says.
/// </summary>
/// <remarks>
/// Fails closed: when the rules cannot be loaded (no <c>nft</c>, or nft refuses them) every sandbox
/// create and attach fails with <see cref="SandboxUnavailableException"/>, unless
/// <see cref="LocalSandboxOptions.Firewall"/> is <see cref="FirewallMode.Off"/>. What was loaded is
/// remembered as a hash of nft's own listing, so <see cref="VerifyAsync"/> notices a flushed or altered
/// table and loads it again.
/// </remarks>
internal sealed partial class SandboxFirewall(LocalSandboxOptions options, ILogger logger)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private string? _loadedListingHash;
    private bool _warnedOff;

    /// <summary>The firewall's name in the containment report.</summary>
    public const string ContainmentName = "firewall";

    public bool Enabled => options.Firewall == FirewallMode.On;

    /// <summary>The containment report's entry while the rules are loaded.</summary>
    public Hosting.ContainmentEntry Enforced() =>
        Hosting.ContainmentEntry.On(ContainmentName, $"nftables table inet {options.FirewallTable} (connections from sandboxes to the host dropped), verified every {options.FirewallVerifyInterval.TotalSeconds:0} s");

    public string Table => options.FirewallTable;

    /// <summary>Loads the rules unless they are loaded already; throws <see cref="SandboxUnavailableException"/> when that is impossible.</summary>
    public async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            WarnOffOnce();
            return;
        }
        if (_loadedListingHash is not null)
        {
            return;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_loadedListingHash is null)
            {
                _loadedListingHash = await LoadAsync(cancellationToken);
                LogLoaded(logger, options.FirewallTable);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Loads the rules if they were never loaded, else compares nft's listing of the table with the one
    /// taken right after loading and restores the table if it differs or is gone. True if it was restored.
    /// </summary>
    public async Task<bool> VerifyAsync(CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            WarnOffOnce();
            return false;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_loadedListingHash is null)
            {
                _loadedListingHash = await LoadAsync(cancellationToken);
                LogLoaded(logger, options.FirewallTable);
                return false;
            }
            var current = await ListingHashAsync(cancellationToken);
            if (current == _loadedListingHash)
            {
                return false;
            }
            // Forget the old state first: if loading fails now, creates fail closed until it works again.
            _loadedListingHash = null;
            LogAltered(logger, options.FirewallTable, current is null ? "gone" : "altered");
            _loadedListingHash = await LoadAsync(cancellationToken);
            LogRestored(logger, options.FirewallTable);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes the table (tests; never called by the service, whose rules outlive it on purpose).</summary>
    public async Task DeleteAsync(CancellationToken cancellationToken)
    {
        _loadedListingHash = null;
        await RunNftAsync(cancellationToken, null, "delete", "table", "inet", options.FirewallTable);
    }

    /// <summary>"table …; delete table …" makes the load idempotent and atomic: nft applies a file as one transaction.</summary>
    internal static string Ruleset(string table) => $$"""
        table inet {{table}}
        delete table inet {{table}}
        table inet {{table}} {
          chain input {
            type filter hook input priority filter; policy accept;
            iifname "lph*" fib saddr . iif oif missing drop
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

    private async Task<string> LoadAsync(CancellationToken cancellationToken)
    {
        var (exitCode, _, error) = await RunNftAsync(cancellationToken, Ruleset(options.FirewallTable), "-f", "-");
        if (exitCode != 0)
        {
            throw Unavailable($"nft refused the sandbox firewall rules (exit code {exitCode}): {error.Trim()}", null);
        }
        return await ListingHashAsync(cancellationToken)
            ?? throw Unavailable($"the table inet {options.FirewallTable} was loaded but nft cannot list it", null);
    }

    /// <summary>SHA-256 of <c>nft list table</c> (no handles, no counters in these rules), or null if the table is gone.</summary>
    private async Task<string?> ListingHashAsync(CancellationToken cancellationToken)
    {
        var (exitCode, output, _) = await RunNftAsync(cancellationToken, null, "list", "table", "inet", options.FirewallTable);
        return exitCode == 0 && output.Length > 0 ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(output))) : null;
    }

    private async Task<(int ExitCode, string Output, string Error)> RunNftAsync(CancellationToken cancellationToken, string? input, params string[] arguments)
    {
        var start = new ProcessStartInfo(options.NftPath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new Win32Exception($"'{options.NftPath}' did not start.");
        }
        catch (Win32Exception ex)
        {
            throw Unavailable($"'{options.NftPath}' ({LocalSandboxOptions.Section}:NftPath) cannot be run: {ex.Message}. Install nftables", ex);
        }
        using (process)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(options.HostCommandTimeout);
            try
            {
                if (input is not null)
                {
                    await process.StandardInput.WriteAsync(input.AsMemory(), timeout.Token);
                }
                process.StandardInput.Close();
                var output = process.StandardOutput.ReadToEndAsync(timeout.Token);
                var error = process.StandardError.ReadToEndAsync(timeout.Token);
                await process.WaitForExitAsync(timeout.Token);
                return (process.ExitCode, await output, await error);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                process.Kill();
                throw Unavailable($"'{options.NftPath} {string.Join(' ', arguments)}' did not finish within {options.HostCommandTimeout}", null);
            }
        }
    }

    private SandboxUnavailableException Unavailable(string reason, Exception? inner) => new(
        $"Sandboxes cannot start: the sandbox firewall could not be loaded ({reason}). Without it a sandbox can reach every host "
        + $"service listening on all addresses. Fix nftables, or set {LocalSandboxOptions.Section}:Firewall=Off to run sandboxes without a firewall.",
        inner);

    private void WarnOffOnce()
    {
        if (!_warnedOff)
        {
            _warnedOff = true;
            LogOff(logger, LocalSandboxOptions.Section);
        }
    }

    [LoggerMessage(EventId = 470, Level = LogLevel.Warning, Message = "{Section}:Firewall is Off: sandboxes can connect to every host service listening on all addresses")]
    private static partial void LogOff(ILogger logger, string section);

    [LoggerMessage(EventId = 471, Level = LogLevel.Information, Message = "Loaded the sandbox firewall (nftables table inet {Table})")]
    private static partial void LogLoaded(ILogger logger, string table);

    [LoggerMessage(EventId = 472, Level = LogLevel.Warning, Message = "The sandbox firewall (table inet {Table}) is {What}; restoring it")]
    private static partial void LogAltered(ILogger logger, string table, string what);

    [LoggerMessage(EventId = 473, Level = LogLevel.Warning, Message = "Restored the sandbox firewall (table inet {Table})")]
    private static partial void LogRestored(ILogger logger, string table);
}
