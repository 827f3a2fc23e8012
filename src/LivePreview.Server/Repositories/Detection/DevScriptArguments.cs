using System.Text.RegularExpressions;

namespace LivePreview.Repositories.Detection;

/// <summary>
/// What of a dev script's own arguments is kept when LivePreview starts the dev tool itself: only a script that is
/// the tool followed by plain words (<c>vite --mode staging</c>) gives anything, and its host, port, base and open flags
/// are dropped for LivePreview's own. A script with anything a shell would interpret (<c>;</c>, <c>&amp;&amp;</c>, <c>$</c>,
/// quotes) gives nothing: it is data, never run through a shell.
/// </summary>
internal static partial class DevScriptArguments
{
    /// <summary>Flags LivePreview sets itself; the first four take a value (optional for --host and --open).</summary>
    private static readonly Dictionary<string, bool> Replaced = new(StringComparer.Ordinal)
    {
        ["--host"] = false, ["--open"] = false, ["--port"] = true, ["--base"] = true, ["--strictPort"] = false, ["--hostname"] = true, ["-H"] = true, ["-p"] = true,
    };

    public static IReadOnlyList<string> Kept(string? script, string command)
    {
        if (script is null || !Plain().IsMatch(script))
        {
            return [];
        }
        var words = script.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0 || words[0] != command)
        {
            return [];
        }
        var kept = new List<string>();
        for (var i = 1; i < words.Length; i++)
        {
            var name = words[i].Split('=', 2)[0];
            if (!Replaced.TryGetValue(name, out var takesValue))
            {
                kept.Add(words[i]);
            }
            else if (!words[i].Contains('=') && i + 1 < words.Length && (takesValue || !words[i + 1].StartsWith('-')))
            {
                i++;
            }
        }
        return kept;
    }

    /// <summary>True when the script has <paramref name="flag"/> as a word of its own.</summary>
    public static bool HasFlag(string? script, string flag) =>
        script is not null && script.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).Contains(flag, StringComparer.Ordinal);

    [GeneratedRegex(@"^[A-Za-z0-9@%+=:,./_ \t-]*$")]
    private static partial Regex Plain();
}
