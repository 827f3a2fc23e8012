namespace LivePreview.Sandboxes;

/// <summary>
/// The provider cannot start sandboxes safely right now (for example the local firewall cannot be
/// loaded). Creating a sandbox is refused with a 503 that carries the message, which says what to do.
/// </summary>
public sealed class SandboxUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What the configured provider cannot do (Daytona: terminals, a process's stdin); the API answers 501 with the message.</summary>
public sealed class SandboxProviderLimitException(string message) : Exception(message);
