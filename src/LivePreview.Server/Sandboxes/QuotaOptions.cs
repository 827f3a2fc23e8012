namespace LivePreview.Sandboxes;

/// <summary>Per-user limits (section <c>LivePreview:Quotas</c>).</summary>
public sealed class QuotaOptions
{
    public const string Section = "LivePreview:Quotas";

    /// <summary>
    /// Sandboxes one user may hold at once (running, stopped or still being made; a claimed warm-pool sandbox
    /// counts). At least 1: there is no "unlimited" — <see cref="SandboxOptions.MaxSandboxes"/> bounds the
    /// service, this bounds one user within it. Admins are exempt (the operator; a single-user deployment
    /// runs as the bootstrap admin) and are bounded by <see cref="SandboxOptions.MaxSandboxes"/> only.
    /// </summary>
    public int MaxSandboxesPerUser { get; set; } = 10;
}

/// <summary>The user holds as many sandboxes as <see cref="QuotaOptions.MaxSandboxesPerUser"/> allows: 429 with what to do.</summary>
public sealed class SandboxQuotaException(int limit)
    : Exception($"You hold {limit} sandboxes, the most one user may have at once (LivePreview:Quotas:MaxSandboxesPerUser = {limit}). "
        + "Delete one (DELETE /api/v1/sandboxes/{id}) or end a prototype session (DELETE /api/v1/prototype/session/{id}), then try again.")
{
    public int Limit { get; } = limit;
}
