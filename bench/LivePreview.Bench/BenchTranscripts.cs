using System.Text.Json;

namespace LivePreview.Bench;

/// <summary>
/// Replay transcripts for the prompt bench, in a temporary replay folder the service is pointed at
/// (LivePreview:Agents:ReplayDirectory): "bench: set heading n" replaces the &lt;h1&gt; that
/// "bench: set heading n-1" left (the template's for n = 1) with "Bench heading n". One short text and
/// one replace_text each, no pauses: a single-edit turn with no model time, so all that is timed is ours.
/// </summary>
internal static class BenchTranscripts
{
    public const string Framework = "react-vite";
    public const string TemplateHeading = "Hello from React + Vite";

    public static string Prompt(int n) => $"bench: set heading {n}";

    public static string Heading(int n) => n == 0 ? TemplateHeading : $"Bench heading {n}";

    /// <summary>Writes transcripts 1…<paramref name="count"/> into a new folder and returns the folder.</summary>
    public static string Write(int count)
    {
        var root = Directory.CreateTempSubdirectory("livepreview-bench-replays-").FullName;
        var folder = Directory.CreateDirectory(Path.Combine(root, Framework)).FullName;
        for (var n = 1; n <= count; n++)
        {
            var transcript = new
            {
                prompt = Prompt(n),
                match = "exact",
                summary = $"Set the heading to \"{Heading(n)}\".",
                steps = new object[]
                {
                    new { text = "Setting the heading.\n" },
                    new
                    {
                        tool = "replace_text",
                        arguments = new { path = "src/App.tsx", old_text = $"<h1>{Heading(n - 1)}</h1>", new_text = $"<h1>{Heading(n)}</h1>" },
                    },
                },
            };
            File.WriteAllText(Path.Combine(folder, $"bench-{n:000}.json"), JsonSerializer.Serialize(transcript));
        }
        return root;
    }
}
