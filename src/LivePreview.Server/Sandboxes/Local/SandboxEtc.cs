using System.Globalization;

namespace LivePreview.Sandboxes.Local;

/// <summary>
/// The few /etc files written for sandboxes rather than bound from the host: the sandbox user must
/// exist (os.userInfo(), npm) whatever users this host has, localhost must resolve without DNS, and
/// the host's user list and host names are none of the sandbox's business.
/// </summary>
internal static class SandboxEtc
{
    /// <summary>passwd, group, hosts and nsswitch.conf, copied into every sandbox (bubblewrap <c>--ro-bind-data</c>).</summary>
    public static IEnumerable<(string Name, string Content)> Contents(int uid, int gid)
    {
        var u = uid.ToString(CultureInfo.InvariantCulture);
        var g = gid.ToString(CultureInfo.InvariantCulture);
        yield return ("passwd", $"root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:{u}:{g}:sandbox:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
        yield return ("group", $"root:x:0:\nsandbox:x:{g}:\nnogroup:x:65534:\n");
        yield return ("hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tsandbox\n");
        yield return ("nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n");
    }
}
