using System.Globalization;
using System.Text.RegularExpressions;
using LivePreview.Frameworks;
using LivePreview.Previews;
using LivePreview.Sandboxes;

namespace LivePreview.Ui.Shared;

/// <summary>Small formatting rules shared by the pages.</summary>
internal static partial class Display
{
    public static string Status<T>(T status) where T : struct, Enum => status.ToString().ToLowerInvariant();

    public static string FrameworkName(string name) =>
        FrameworkCatalog.TryGet(name, out var framework) ? framework.DisplayName : name;

    /// <summary>"just now", "5 min ago", "3 h ago", then the date.</summary>
    public static string Ago(DateTimeOffset then, DateTimeOffset now)
    {
        var elapsed = now - then;
        return elapsed switch
        {
            { TotalSeconds: < 45 } => "just now",
            { TotalMinutes: < 60 } => $"{Math.Max(1, (int)Math.Round(elapsed.TotalMinutes))} min ago",
            { TotalHours: < 24 } => $"{(int)elapsed.TotalHours} h ago",
            _ => then.UtcDateTime.ToString("MMM d, yyyy", CultureInfo.InvariantCulture),
        };
    }

    public static string Exact(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Clock(DateTimeOffset time) =>
        time.UtcDateTime.ToString("HH:mm:ss", CultureInfo.InvariantCulture);

    /// <summary>Dev servers colour their output; the escapes mean nothing in a web page.</summary>
    public static string PlainText(string line) => AnsiEscape().Replace(line, "");

    /// <summary>
    /// A preview error without the dev server's output appended to it (" Last output: ..."), for
    /// where that output is shown beside it anyway.
    /// </summary>
    public static string ErrorSummary(string error)
    {
        var plain = PlainText(error);
        var tail = plain.IndexOf("Last output:", StringComparison.Ordinal);
        return tail > 0 ? plain[..tail].TrimEnd() : plain;
    }

    /// <summary>The preview a sandbox page shows: the framework's (a repository's plan's) dev-server port, else the newest (as the API picks).</summary>
    public static PreviewSnapshot? PrimaryPreview(IReadOnlyList<PreviewSnapshot> previews, SandboxSnapshot sandbox)
    {
        FrameworkCatalog.TryGet(sandbox.Framework, out var framework);
        var port = sandbox.DevServerPlan?.Port ?? framework?.DefaultPort;
        return previews.FirstOrDefault(p => p.Port == port) ?? previews.LastOrDefault();
    }

    [GeneratedRegex(@"\x1B\[[0-9;?]*[ -/]*[@-~]")]
    private static partial Regex AnsiEscape();
}
