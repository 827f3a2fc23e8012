using System.Text.RegularExpressions;

namespace LivePreview.Repositories.Detection;

/// <summary>
/// The port a dev server listens on: a flag or PORT= in the dev script, else <c>server.port</c> in vite.config.* (a
/// bounded text scan, never evaluated), else the framework's default.
/// </summary>
internal static partial class PortDetection
{
    /// <summary>The egress proxy's port inside every sandbox: an app may not take it.</summary>
    public const int ProxyPort = 3128;

    public const int MaxConfigBytes = 256 * 1024;

    private static readonly string[] ViteConfigs = ["vite.config.ts", "vite.config.js", "vite.config.mts", "vite.config.mjs"];

    public static bool IsUsable(int port) => port is >= 1 and <= 65535 && port != ProxyPort;

    public static async Task<(int Port, string Reason)> DetectAsync(IRepositoryTree tree, string appDirectory, Framework framework,
        string? scriptName, string? script, CancellationToken cancellationToken)
    {
        if (script is not null && FromScript(script) is { } scripted)
        {
            if (IsUsable(scripted))
            {
                return (scripted, $"port {scripted}: set in the {scriptName} script");
            }
        }
        if (framework.ViteBased)
        {
            foreach (var name in ViteConfigs)
            {
                var path = PackageJson.Join(appDirectory, name);
                if (await ReadConfigAsync(tree, path, cancellationToken) is { } text && FromViteConfig(text) is { } configured && IsUsable(configured))
                {
                    return (configured, $"port {configured}: server.port in {path}");
                }
            }
        }
        return (framework.DefaultPort, $"port {framework.DefaultPort}: the default of {framework.Name}");
    }

    /// <summary><c>--port N</c>, <c>--port=N</c>, <c>-p N</c> or <c>PORT=N</c>; the first one written.</summary>
    public static int? FromScript(string script) =>
        ScriptPort().Match(script) is { Success: true } match && int.TryParse(match.Groups["port"].ValueSpan, out var port) ? port : null;

    /// <summary>The <c>port:</c> directly inside a <c>server: { … }</c> block (not hmr's or preview's), else a lone <c>port:</c>.</summary>
    public static int? FromViteConfig(string text)
    {
        var code = WithoutComments(text);
        foreach (Match server in ServerBlock().Matches(code))
        {
            var depth = 1;
            for (var i = server.Index + server.Length; i < code.Length && depth > 0; i++)
            {
                depth += code[i] switch { '{' => 1, '}' => -1, _ => 0 };
                if (depth == 1 && PortKey().Match(code, i) is { Success: true } port && port.Index == i && (i == 0 || !char.IsLetterOrDigit(code[i - 1])))
                {
                    return int.TryParse(port.Groups["port"].ValueSpan, out var value) ? value : null;
                }
            }
        }
        var ports = LonePortKey().Matches(code);
        return ports.Count == 1 && !ServerBlock().IsMatch(code) && int.TryParse(ports[0].Groups["port"].ValueSpan, out var lone) ? lone : null;
    }

    /// <summary>The code with its comments blanked, in one pass (a regex would be quadratic on a hostile file of unclosed <c>/*</c>).</summary>
    private static string WithoutComments(string text)
    {
        var code = text.ToCharArray();
        char? quote = null;
        for (var i = 0; i < code.Length; i++)
        {
            var c = code[i];
            var next = i + 1 < code.Length ? code[i + 1] : '\0';
            if (quote is not null)
            {
                i += c == '\\' ? 1 : 0;
                quote = c == quote ? null : quote;
            }
            else if (c is '\'' or '"' or '`')
            {
                quote = c;
            }
            else if (c == '/' && next is '/' or '*')
            {
                var end = next == '/' ? text.IndexOf('\n', i) : text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? code.Length : next == '/' ? end : end + 2;
                Array.Fill(code, ' ', i, end - i);
                i = end - 1;
            }
        }
        return new string(code);
    }

    private static async Task<string?> ReadConfigAsync(IRepositoryTree tree, string path, CancellationToken cancellationToken)
    {
        try
        {
            return await tree.ReadTextAsync(path, MaxConfigBytes, cancellationToken);
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    [GeneratedRegex(@"(?:(?<![\w-])(?:--port|-p)(?:=|\s+)|(?<![\w])PORT=)(?<port>\d{1,5})(?!\d)")]
    private static partial Regex ScriptPort();

    [GeneratedRegex(@"(?<![\w$])['""]?port['""]?\s*:\s*(?<port>\d{1,5})(?!\d)")]
    private static partial Regex LonePortKey();

    [GeneratedRegex(@"\bserver\s*:\s*\{")]
    private static partial Regex ServerBlock();

    [GeneratedRegex(@"\G['""]?port['""]?\s*:\s*(?<port>\d{1,5})(?!\d)")]
    private static partial Regex PortKey();
}
