namespace LivePreview.Ui.Prototype;

/// <summary>One line of the code panel's file tree: a file or a folder, at its depth.</summary>
public sealed record FileNode(string Path, string Name, bool IsDirectory, int Depth);

/// <summary>A file as the code panel shows it: its text, or why it cannot be shown.</summary>
/// <param name="Text">The content, or null when <paramref name="Unreadable"/> says why not.</param>
public sealed record OpenFile(string Path, string? Text, string? Unreadable);
