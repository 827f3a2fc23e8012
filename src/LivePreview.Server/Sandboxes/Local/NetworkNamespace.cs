using System.Diagnostics;
using System.Globalization;
using System.Net.NetworkInformation;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// A sandbox's network: the named namespace <c>lp-{id}</c> holding loopback and one end of a veth
/// pair, the host holding the other end. No default route and no NAT, so the sandbox reaches only
/// the host's <see cref="SandboxSubnet.HostAddress"/> through its own veth — never the internet, other
/// sandboxes, or the host's 127.0.0.1 (and the firewall drops every connection it opens to the host).
/// </summary>
/// <remarks>
/// The host end is <b>unnumbered</b>: no address is added to the host per sandbox, only a /32 route and a neighbour
/// entry. A host address appearing or going away is what browsers on the host (Chromium's network change notifier)
/// answer by aborting every in-flight request with ERR_NETWORK_CHANGED — in every tab, whenever a sandbox was made —
/// while new routes, neighbours and links leave them alone. The one host address of the prefix sits on <c>lo</c>,
/// added once (Chromium ignores loopback's addresses too).
/// </remarks>
internal sealed class NetworkNamespace(LocalSandboxOptions options, SandboxFirewall firewall)
{
    /// <summary>Inside the namespace the interface can have the usual name: names are per namespace.</summary>
    private const string SandboxLink = "eth0";

    private readonly SemaphoreSlim _hostAddressGate = new(1, 1);
    private bool _hostAddressPresent;

    public static bool Exists(SandboxLayout layout) => File.Exists(Path.Join("/run/netns", layout.NetworkNamespace));

    public static bool HostLinkExists(SandboxLayout layout) => Directory.Exists(Path.Join("/sys/class/net", layout.HostLink));

    public static bool IsComplete(SandboxLayout layout) => Exists(layout) && HostLinkExists(layout);

    /// <summary>
    /// Addresses the host already uses — its own, and the destinations of its /32 routes (other services' sandboxes) —
    /// so that two services (or a test run) on one machine never give two sandboxes one address.
    /// </summary>
    public static HashSet<string> AddressesInUse()
    {
        var used = NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address.ToString())
            .ToHashSet(StringComparer.Ordinal);
        used.UnionWith(HostRoutes());
        return used;
    }

    /// <summary>Destinations of the host's IPv4 routes with a /32 mask, from <c>/proc/net/route</c> (hex, in network order).</summary>
    private static IEnumerable<string> HostRoutes()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines("/proc/net/route");
        }
        catch (IOException)
        {
            yield break;
        }
        foreach (var line in lines.Skip(1))
        {
            var fields = line.Split('\t', StringSplitOptions.TrimEntries);
            if (fields.Length > 7 && fields[7] == "FFFFFFFF"
                && uint.TryParse(fields[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var destination))
            {
                yield return new System.Net.IPAddress(destination).ToString();
            }
        }
    }

    /// <summary>Creates what is missing; a half-made network (namespace without its veth) is rebuilt from scratch.</summary>
    public async Task EnsureAsync(SandboxLayout layout, SandboxSubnet subnet, CancellationToken cancellationToken)
    {
        if (IsComplete(layout))
        {
            return;
        }
        await firewall.EnsureAsync(cancellationToken);
        await DeleteAsync(layout, cancellationToken);
        var hostAddress = SandboxSubnet.HostAddress(options.SubnetPrefix).ToString();
        await EnsureHostAddressAsync(hostAddress, cancellationToken);
        var ns = layout.NetworkNamespace;
        var sandbox = subnet.Sandbox.ToString();
        var (hostMac, sandboxMac) = subnet.LinkAddresses();
        await IpAsync(cancellationToken, "netns", "add", ns);
        await IpAsync(cancellationToken, "link", "add", layout.HostLink, "address", hostMac, "type", "veth", "peer", "name", SandboxLink, "address", sandboxMac, "netns", ns);
        // No IPv6 link-local address either: the kernel would add one a second after "up" (a host address change).
        await IpAsync(cancellationToken, "link", "set", "dev", layout.HostLink, "addrgenmode", "none");
        await IpAsync(cancellationToken, "-n", ns, "link", "set", "dev", SandboxLink, "addrgenmode", "none");
        await IpAsync(cancellationToken, "link", "set", layout.HostLink, "up");
        await IpAsync(cancellationToken, "route", "replace", $"{sandbox}/32", "dev", layout.HostLink, "src", hostAddress);
        await IpAsync(cancellationToken, "neigh", "replace", sandbox, "lladdr", sandboxMac, "dev", layout.HostLink, "nud", "permanent");
        await IpAsync(cancellationToken, "-n", ns, "link", "set", "lo", "up");
        await IpAsync(cancellationToken, "-n", ns, "addr", "add", $"{sandbox}/32", "dev", SandboxLink);
        await IpAsync(cancellationToken, "-n", ns, "link", "set", SandboxLink, "up");
        await IpAsync(cancellationToken, "-n", ns, "route", "add", $"{hostAddress}/32", "dev", SandboxLink);
        await IpAsync(cancellationToken, "-n", ns, "neigh", "replace", hostAddress, "lladdr", hostMac, "dev", SandboxLink, "nud", "permanent");
    }

    /// <summary>
    /// The prefix's host address on <c>lo</c>, added once and left there (like the firewall table): removing it when
    /// the service stops would be one more host address change for browsers, and sandboxes outlive the service.
    /// Another service on the same prefix may add it at the same moment; that is not a failure.
    /// </summary>
    private async Task EnsureHostAddressAsync(string hostAddress, CancellationToken cancellationToken)
    {
        if (_hostAddressPresent)
        {
            return;
        }
        await _hostAddressGate.WaitAsync(cancellationToken);
        try
        {
            bool Present() => AddressesInUse().Contains(hostAddress);
            if (!Present())
            {
                try
                {
                    await IpAsync(cancellationToken, "addr", "add", $"{hostAddress}/32", "dev", "lo");
                }
                catch (IOException) when (Present())
                {
                }
            }
            _hostAddressPresent = true;
        }
        finally
        {
            _hostAddressGate.Release();
        }
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
