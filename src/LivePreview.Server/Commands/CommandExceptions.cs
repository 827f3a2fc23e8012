namespace LivePreview.Commands;

/// <summary>A request to run a command that cannot be run as given (400).</summary>
public sealed class InvalidCommandException(string message) : Exception(message);

/// <summary>The sandbox runs as many commands as it may (429).</summary>
public sealed class CommandLimitException(string message) : Exception(message);

/// <summary>The command is unknown in this sandbox (404).</summary>
public sealed class CommandNotFoundException(string sandboxId, string commandId)
    : Exception($"Sandbox '{sandboxId}' has no command '{commandId}'. List them with GET /api/v1/sandboxes/{sandboxId}/commands.");

/// <summary>The command has ended, so it takes no input and cannot be killed (409).</summary>
public sealed class CommandEndedException(string message) : Exception(message);
