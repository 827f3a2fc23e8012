using System.Text;
using DiffPlex.Renderer;

namespace LivePreview.Workspaces;

/// <summary>
/// The diff that a FILE_CHANGED event carries: a unified diff (DiffPlex, three lines of context) of a
/// text file's content before and after one change, bounded so an event stays small. Binary content
/// (a NUL byte, or not UTF-8) and content larger than <see cref="WorkspaceFilesOptions.MaxDiffSourceBytes"/>
/// get no diff, only the reason.
/// </summary>
public static class FileDiff
{
    /// <param name="before">The old content; null when the file did not exist.</param>
    /// <param name="after">The new content; null when the file is gone.</param>
    public static FileDiffResult Compute(string path, FileContent? before, ReadOnlyMemory<byte>? after, WorkspaceFilesOptions options)
    {
        if (before is { IsTooLarge: true } || before?.Bytes.Length > options.MaxDiffSourceBytes || after?.Length > options.MaxDiffSourceBytes)
        {
            return new FileDiffResult(null, false, "too_large");
        }
        bool existedBefore = before is not null, existsAfter = after is not null;
        if (!TryText(before is null ? default : before.Bytes.Span, out var oldText) || !TryText(after is { } a ? a.Span : default, out var newText))
        {
            return new FileDiffResult(null, false, "binary");
        }
        // DiffPlex counts the empty string after a final line break as one more line, so a diff of two files that
        // end in one would show a spurious empty line; the break is taken off both (kept when it is all that changed).
        var (oldLines, newLines) = (WithoutFinalBreak(oldText), WithoutFinalBreak(newText));
        if (oldLines != newLines)
        {
            (oldText, newText) = (oldLines, newLines);
        }
        var unified = UnidiffRenderer.GenerateUnidiff(oldText, newText,
            existedBefore ? $"a/{path}" : "/dev/null", existsAfter ? $"b/{path}" : "/dev/null",
            ignoreWhitespace: false, ignoreCase: false, contextLines: 3);
        if (Encoding.UTF8.GetByteCount(unified) <= options.MaxDiffBytes)
        {
            return new FileDiffResult(unified, false, null);
        }
        // Cut at a line boundary within the limit, so what is shown is whole lines of the real diff.
        var bytes = Encoding.UTF8.GetBytes(unified);
        var cut = Array.LastIndexOf(bytes, (byte)'\n', Math.Max(0, options.MaxDiffBytes - 1));
        return new FileDiffResult(cut <= 0 ? "" : Encoding.UTF8.GetString(bytes, 0, cut + 1), true, null);
    }

    private static string WithoutFinalBreak(string text) => text.EndsWith('\n') ? text[..^1] : text;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static bool TryText(ReadOnlySpan<byte> content, out string text)
    {
        text = "";
        if (content.IndexOf((byte)0) >= 0)
        {
            return false;
        }
        try
        {
            text = StrictUtf8.GetString(content);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}

/// <param name="Diff">The unified diff, or null when there is none to show (see <paramref name="Omitted"/>).</param>
/// <param name="Truncated">The diff was cut at <see cref="WorkspaceFilesOptions.MaxDiffBytes"/>.</param>
/// <param name="Omitted">Why there is no diff: "binary" or "too_large".</param>
public sealed record FileDiffResult(string? Diff, bool Truncated, string? Omitted);
