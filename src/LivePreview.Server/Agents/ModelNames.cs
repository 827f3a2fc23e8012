namespace LivePreview.Agents;

/// <summary>
/// What a requested model name may be. The name reaches a model API as a string, but also a CLI agent's argument list
/// (<c>--model NAME</c>): one that starts with '-' could read as an option there, and control or format characters
/// (NUL, newlines, bidi overrides) have no place in any model id and would show misleadingly in the UI and logs.
/// </summary>
public static class ModelNames
{
    public const int MaxLength = 200;

    /// <summary>Null when <paramref name="model"/> is absent or acceptable; otherwise what is wrong with it, for a 400.</summary>
    public static string? Problem(string? model)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return null;
        }
        var name = model.Trim();
        return name.Length > MaxLength || name.StartsWith('-') || name.Any(c => char.IsControl(c) || char.IsWhiteSpace(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.Surrogate)
            ? $"\"model\" must be a model id of 1–{MaxLength} characters without spaces, control or format characters, not starting with '-' (e.g. \"claude-sonnet-4-5\" or \"qwen2.5-coder:7b\"); leave it out for the agent's default."
            : null;
    }
}
