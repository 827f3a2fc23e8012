namespace LivePreview.Sandboxes;

/// <summary>
/// A check of a resource a provider needs before one more sandbox may exist (the local provider: free
/// disk). Run by <see cref="SandboxManager.CreateAsync(Frameworks.FrameworkDefinition, string?, CancellationToken)"/> before the sandbox is stored,
/// so the caller gets the refusal, not a sandbox that fails later.
/// </summary>
public interface ISandboxAdmission
{
    /// <summary>Throws (<see cref="InsufficientStorageException"/> …) when one more sandbox does not fit.</summary>
    void EnsureRoomForOneMore();
}

/// <summary>Too little disk left to give a new sandbox room: 507 with what to free.</summary>
public sealed class InsufficientStorageException(string message) : Exception(message);
