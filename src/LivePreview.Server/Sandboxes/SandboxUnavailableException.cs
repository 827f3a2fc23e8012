namespace LivePreview.Sandboxes;

/// <summary>
/// The provider cannot start sandboxes safely right now (for example the local firewall cannot be
/// loaded). Creating a sandbox is refused with a 503 that carries the message, which says what to do.
/// </summary>
public sealed class SandboxUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
