using System.Text.Json;
using System.Text.Json.Serialization;

namespace LivePreview.Tests.Support;

/// <summary>
/// The apps of <c>tests/corpus</c> as <c>corpus.json</c> describes them: what detection should find and which edit proves
/// HMR. Read by the end-to-end corpus test and the corpus bench, so both run the same apps the same way.
/// </summary>
public static class Corpus
{
    public static string Directory { get; } = Path.Join(LivePreviewHost.RepositoryRoot, "tests", "corpus");

    private static readonly Lazy<IReadOnlyList<CorpusApp>> Loaded = new(() =>
    {
        using var stream = File.OpenRead(Path.Join(Directory, "corpus.json"));
        var file = JsonSerializer.Deserialize<CorpusFile>(stream, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })
            ?? throw new InvalidDataException("corpus.json is empty.");
        return file.Apps;
    });

    public static IReadOnlyList<CorpusApp> Apps => Loaded.Value;

    public static CorpusApp Get(string name) => Apps.Single(a => a.Name == name);

    private sealed record CorpusFile(IReadOnlyList<CorpusApp> Apps);
}

/// <summary>One app of the corpus (field names as in corpus.json).</summary>
public sealed record CorpusApp(
    string Name,
    string Framework,
    string DevTool,
    string DevToolVersion,
    string PackageManager,
    string LockFile,
    string DevScript,
    int Port,
    CorpusEdit HmrEdit)
{
    public string SourceDirectory => Path.Join(Corpus.Directory, Name);

    public override string ToString() => Name;
}

/// <summary>
/// The edit that proves a hot update: in <see cref="File"/> (relative to the app), <see cref="Find"/> becomes the marker
/// text, which then shows in <see cref="Selector"/>; or, for an app whose JavaScript has no hot update of its own
/// (vanilla, Lit: Vite reloads the page for those), <see cref="Css"/>: a rule appended to the stylesheet puts the marker
/// in <see cref="Selector"/>'s <c>::after</c> — a CSS hot update, which Vite applies without a reload.
/// </summary>
public sealed record CorpusEdit(string File, string Selector, string? Find, bool Css)
{
    public string Apply(string source, string marker) => Css
        ? $"{source.TrimEnd()}\n{Selector}::after {{ content: \"{marker}\"; }}\n"
        : source.Contains(Find!, StringComparison.Ordinal)
            ? source.Replace(Find!, marker, StringComparison.Ordinal)
            : throw new InvalidDataException($"'{Find}' is not in {File}.");

    /// <summary>A page function of the marker: true once the marker shows where the edit puts it.</summary>
    [JsonIgnore]
    public string ShownScript => Css
        ? $"m => {{ const e = document.querySelector({JsonSerializer.Serialize(Selector)}); return !!e && getComputedStyle(e, '::after').content.includes(m); }}"
        : $"m => !!document.querySelector({JsonSerializer.Serialize(Selector)})?.textContent.includes(m)";
}
