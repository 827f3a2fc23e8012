using System.Diagnostics;
using System.Globalization;
using System.Net.NetworkInformation;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// A sandbox's network: the named namespace <c>lp-{id}</c> holding loopback and one end of a veth
/// pair, the host holding the other end. No default route and no NAT, so the sandbox reaches only
/// the host end of its own /30 — never the internet, other sandboxes, or the host's 127.0.0.1.
/// </summary>
internal sealed class NetworkNamespace(LocalSandboxOptions options, SandboxFirewall firewall)
{
    /// <summary>Inside the namespace the interface can have the usual name: names are per namespace.</summary>
    private const string SandboxLink = "eth0";

    public static bool Exists(SandboxLayout layout) => File.Exists(Path.Join("/run/netns", layout.NetworkNamespace));

    public static bool HostLinkExists(SandboxLayout layout) => Directory.Exists(Path.Join("/sys/class/net", layout.HostLink));

    public static bool IsComplete(SandboxLayout layout) => Exists(layout) && HostLinkExists(layout);

    /// <summary>Addresses already configured on the host, so that two services (or a test run) on one machine never share a /30.</summary>
    public static HashSet<string> HostAddresses() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address.ToString())
            .ToHashSet(StringComparer.Ordinal);

    /// <summary>Creates what is missing; a half-made network (namespace without its veth) is rebuilt from scratch.</summary>
    public async Task EnsureAsync(SandboxLayout layout, SandboxSubnet subnet, CancellationToken cancellationToken)
    {
        if (IsComplete(layout))
        {
            return;
        }
        await firewall.EnsureAsync(cancellationToken);
        await DeleteAsync(layout, cancellationToken);
        var ns = layout.NetworkNamespace;
        var prefix = SandboxSubnet.PrefixLength.ToString(CultureInfo.InvariantCulture);
        await IpAsync(cancellationToken, "netns", "add", ns);
        await IpAsync(cancellationToken, "link", "add", layout.HostLink, "type", "veth", "peer", "name", SandboxLink, "netns", ns);
        // No IPv6 link-local address: the kernel would add one a second after "up", and browsers on
        // this host (Chromium) abort in-flight requests with ERR_NETWORK_CHANGED when host addresses
        // change — exactly when a new preview's first page loads.
        await IpAsync(cancellationToken, "link", "set", "dev", layout.HostLink, "addrgenmode", "none");
        await IpAsync(cancellationToken, "-n", ns, "link", "set", "dev", SandboxLink, "addrgenmode", "none");
        await IpAsync(cancellationToken, "addr", "add", $"{subnet.Host}/{prefix}", "dev", layout.HostLink);
        await IpAsync(cancellationToken, "link", "set", layout.HostLink, "up");
        await IpAsync(cancellationToken, "-n", ns, "link", "set", "lo", "up");
        await IpAsync(cancellationToken, "-n", ns, "addr", "add", $"{subnet.Sandbox}/{prefix}", "dev", SandboxLink);
        await IpAsync(cancellationToken, "-n", ns, "link", "set", SandboxLink, "up");
    }

    /// <summary>
    /// Deleting the namespace destroys the veth pair, but only once the kernel's cleanup worker gets
    /// to it; deleting the host end as well makes the teardown synchronous, so the name is free at once.
    /// </summary>
    public async Task DeleteAsync(SandboxLayout layout, CancellationToken cancellationToken)
    {
        // Each step tolerates losing a race: the kernel's cleanup worker may remove the link between the check and the call.
        if (Exists(layout))
        {
            await IpUnlessGoneAsync(() => Exists(layout), cancellationToken, "netns", "delete", layout.NetworkNamespace);
        }
        if (HostLinkExists(layout))
        {
            await IpUnlessGoneAsync(() => HostLinkExists(layout), cancellationToken, "link", "delete", layout.HostLink);
        }
    }

    private async Task IpUnlessGoneAsync(Func<bool> stillThere, CancellationToken cancellationToken, params string[] arguments)
    {
        try
        {
            await IpAsync(cancellationToken, arguments);
        }
        catch (IOException) when (!stillThere())
        {
        }
    }

    private async Task IpAsync(CancellationToken cancellationToken, params string[] arguments)
    {
        var start = new ProcessStartInfo(options.IpPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start '{options.IpPath}'.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.HostCommandTimeout);
        var output = Task.WhenAll(process.StandardOutput.ReadToEndAsync(timeout.Token), process.StandardError.ReadToEndAsync(timeout.Token));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            var texts = await output;
            if (process.ExitCode != 0)
            {
                throw new IOException($"'ip {string.Join(' ', arguments)}' failed with exit code {process.ExitCode}: {string.Concat(texts).Trim()}");
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            process.Kill();
            throw new TimeoutException($"'ip {string.Join(' ', arguments)}' did not finish within {options.HostCommandTimeout}.");
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }
    }
}
