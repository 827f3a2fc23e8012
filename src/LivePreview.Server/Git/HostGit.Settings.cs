namespace LivePreview.Git;

/// <summary>The environment and settings of each host git command.</summary>
public sealed partial class HostGit
{
    private const string UserVariable = "LIVEPREVIEW_GIT_USERNAME";
    private const string TokenVariable = "LIVEPREVIEW_GIT_PASSWORD";
    private const string HostVariable = "LIVEPREVIEW_GIT_HOST";

    /// <summary>Fixed text (no setting or request text in it): answers "get" for https and the expected host only.</summary>
    private const string CredentialHelper =
        "!f() { test \"$1\" = get || exit 0; p=; h=; while IFS= read -r l; do case \"$l\" in protocol=*) p=${l#protocol=};; host=*) h=${l#host=};; esac; done; "
        + "if test \"$p\" = https && test -n \"$" + HostVariable + "\" && test \"$h\" = \"$" + HostVariable + "\"; then "
        + "printf 'username=%s\\npassword=%s\\n' \"$" + UserVariable + "\" \"$" + TokenVariable + "\"; fi; }; f";

    private Dictionary<string, string> Environment(GitRemote? remote)
    {
        var env = new Dictionary<string, string>
        {
            ["PATH"] = "/usr/bin:/bin",
            ["HOME"] = Home,
            ["XDG_CONFIG_HOME"] = Path.Join(Home, ".config"),
            ["LANG"] = "C",
            ["LC_ALL"] = "C",
            // No repository discovery above our own folder (/tmp is shared: someone else's /tmp/.git must not be found).
            ["GIT_CEILING_DIRECTORIES"] = _private.FullName,
            ["GIT_CONFIG_NOSYSTEM"] = "1",
            ["GIT_CONFIG_GLOBAL"] = "/dev/null",
            ["GIT_TERMINAL_PROMPT"] = "0",
            ["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=15",
        };
        var config = new List<(string Key, string Value)>
        {
            ("core.hooksPath", HooksDirectory),
            ("core.fsmonitor", "false"),
            ("init.templateDir", TemplateDirectory),
            ("gc.auto", "0"),
            ("maintenance.auto", "false"),
            ("protocol.allow", "never"),
            ("http.followRedirects", "false"),
            ("credential.helper", ""),
        };
        if (remote is not null)
        {
            config.Add(($"protocol.{Protocol(remote.Transport)}.allow", "always"));
            AddHttpSettings(remote, env, config);
        }
        env["GIT_CONFIG_COUNT"] = config.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < config.Count; i++)
        {
            env[$"GIT_CONFIG_KEY_{i}"] = config[i].Key;
            env[$"GIT_CONFIG_VALUE_{i}"] = config[i].Value;
        }
        return env;
    }

    private void AddHttpSettings(GitRemote remote, Dictionary<string, string> env, List<(string Key, string Value)> config)
    {
        if (remote.Transport is not (GitTransport.Https or GitTransport.Http))
        {
            return;
        }
        var options = _options.CurrentValue;
        if (options.CaCertificates is { Length: > 0 } ca)
        {
            config.Add(("http.sslCAInfo", Path.GetFullPath(ca)));
        }
        // The addresses the policy checked are the addresses curl connects to: a DNS answer that changes in between (rebinding) changes nothing.
        if (remote.Addresses.Count > 0)
        {
            config.Add(("http.curloptResolve", $"{remote.Host}:{remote.Port ?? 443}:{string.Join(',', remote.Addresses.Select(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{a}]" : a.ToString()))}"));
        }
        if (remote.Transport == GitTransport.Https && options.Credentials.FirstOrDefault(c => c.Matches(remote.Host!, remote.Port)) is { } credential)
        {
            config.Add(("credential.helper", CredentialHelper));
            env[HostVariable] = remote.CredentialHost!;
            env[UserVariable] = credential.Username;
            env[TokenVariable] = credential.Token;
        }
    }

    private static string Protocol(GitTransport transport) => transport switch
    {
        GitTransport.Https => "https",
        GitTransport.Http => "http",
        GitTransport.Ssh => "ssh",
        _ => "file",
    };
}
