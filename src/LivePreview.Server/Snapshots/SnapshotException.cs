namespace LivePreview.Snapshots;

/// <summary>A snapshot could not be found or built; the message says why in words a user can act on.</summary>
internal sealed class SnapshotException(string message, Exception? inner = null) : Exception(message, inner);
