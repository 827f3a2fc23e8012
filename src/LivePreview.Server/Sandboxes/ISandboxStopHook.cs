namespace LivePreview.Sandboxes;

/// <summary>
/// Told before a sandbox's processes are stopped (stop or delete), so that what runs there on a user's
/// behalf (commands) can end itself with the right status instead of dying as an unexplained failure.
/// </summary>
public interface ISandboxStopHook
{
    /// <param name="deleting">The sandbox is being deleted: what the hook keeps about it can go too.</param>
    Task SandboxStoppingAsync(string sandboxId, bool deleting, CancellationToken cancellationToken);
}
