namespace LivePreview.RateLimits;

/// <summary>
/// Per-user rate limits (section <c>LivePreview:RateLimits</c>). Each limit is a token bucket per user: a burst of
/// <see cref="RateLimitSetting.PermitLimit"/>, refilled by one every <c>Window / PermitLimit</c>, so a user gets at most
/// <c>PermitLimit</c> per <c>Window</c> in the long run and a refused request is told exactly when the next one is possible.
/// </summary>
public sealed class RateLimitOptions
{
    public const string Section = "LivePreview:RateLimits";

    /// <summary>False turns every limit off (benchmarks, load tests); each limit can also be turned off on its own.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Sandbox creations per user: <c>POST /api/v1/sandboxes</c> and the dashboard's "Create sandbox".</summary>
    public RateLimitSetting SandboxCreates { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(10) };

    /// <summary>Prototype session starts per user: <c>POST /api/v1/prototype/session</c> and the prototype page's Start.</summary>
    public RateLimitSetting SessionCreates { get; set; } = new() { PermitLimit = 30, Window = TimeSpan.FromMinutes(10) };

    /// <summary>Prompts per user, over all their sessions: <c>POST …/prompt</c> and the prototype page's Send.</summary>
    public RateLimitSetting Prompts { get; set; } = new() { PermitLimit = 120, Window = TimeSpan.FromMinutes(10) };

    /// <summary>Command starts per user, over all their sandboxes: <c>POST /api/v1/sandboxes/{id}/commands</c>.</summary>
    public RateLimitSetting Commands { get; set; } = new() { PermitLimit = 600, Window = TimeSpan.FromMinutes(10) };

    public RateLimitSetting this[UserLimit limit] => limit switch
    {
        UserLimit.SandboxCreates => SandboxCreates,
        UserLimit.SessionCreates => SessionCreates,
        UserLimit.Prompts => Prompts,
        UserLimit.Commands => Commands,
        _ => throw new ArgumentOutOfRangeException(nameof(limit), limit, null),
    };
}

/// <summary>One limit: <see cref="PermitLimit"/> per <see cref="Window"/> and user.</summary>
public sealed class RateLimitSetting
{
    /// <summary>False turns this limit off.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Requests a user may make at once, and per <see cref="Window"/> in the long run (1–100000).</summary>
    public int PermitLimit { get; set; }

    /// <summary>The time in which <see cref="PermitLimit"/> permits come back (1 second – 1 day).</summary>
    public TimeSpan Window { get; set; }

    /// <summary>One permit comes back every this long.</summary>
    public TimeSpan RefillEvery => Window / PermitLimit;
}

/// <summary>The limits there are; each is a setting <c>LivePreview:RateLimits:{name}</c> and a named rate-limiter policy.</summary>
public enum UserLimit
{
    SandboxCreates,
    SessionCreates,
    Prompts,
    Commands,
}
