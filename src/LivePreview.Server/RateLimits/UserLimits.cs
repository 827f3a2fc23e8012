namespace LivePreview.RateLimits;

/// <summary>How each limit is named: its setting, its rate-limiter policy, and the words a refusal uses.</summary>
public static class UserLimits
{
    public static IReadOnlyList<UserLimit> All { get; } = Enum.GetValues<UserLimit>();

    /// <summary>The configuration key of the limit, e.g. <c>LivePreview:RateLimits:SandboxCreates</c>.</summary>
    public static string Setting(UserLimit limit) => $"{RateLimitOptions.Section}:{limit}";

    /// <summary>The name of the limit's policy, for <c>RequireRateLimiting</c>.</summary>
    public static string Policy(UserLimit limit) => limit switch
    {
        UserLimit.SandboxCreates => "sandbox-creates",
        UserLimit.SessionCreates => "session-creates",
        UserLimit.Prompts => "prompts",
        UserLimit.Commands => "command-starts",
        _ => throw new ArgumentOutOfRangeException(nameof(limit), limit, null),
    };

    public static bool TryParsePolicy(string? policy, out UserLimit limit)
    {
        foreach (var candidate in All)
        {
            if (Policy(candidate) == policy)
            {
                limit = candidate;
                return true;
            }
        }
        limit = default;
        return false;
    }

    /// <summary>What is counted, in the plural ("sandbox creations").</summary>
    public static string Counted(UserLimit limit) => limit switch
    {
        UserLimit.SandboxCreates => "sandbox creations",
        UserLimit.SessionCreates => "session starts",
        UserLimit.Prompts => "prompts",
        UserLimit.Commands => "command starts",
        _ => throw new ArgumentOutOfRangeException(nameof(limit), limit, null),
    };
}

/// <summary>A refused request: which limit, for whom, and when to retry.</summary>
public sealed record RateLimitRefusal(UserLimit Limit, string User, RateLimitSetting Setting, TimeSpan RetryAfter)
{
    /// <summary>Whole seconds, rounded up (never 0), as the <c>Retry-After</c> header gives them.</summary>
    public int RetryAfterSeconds => Math.Max(1, (int)Math.Ceiling(RetryAfter.TotalSeconds));

    public string SettingName => UserLimits.Setting(Limit);

    public string Title => $"Too many {UserLimits.Counted(Limit)}";

    public string Detail =>
        $"User '{User}' may make {Setting.PermitLimit} {UserLimits.Counted(Limit)} per {Describe(Setting.Window)} " +
        $"(at once, then one more every {Describe(Setting.RefillEvery)}); this is the limit {SettingName}. " +
        $"Retry in {RetryAfterSeconds} s.";

    private static string Describe(TimeSpan span) =>
        span.TotalHours >= 1 && span.TotalHours == Math.Floor(span.TotalHours) ? $"{span.TotalHours:0} h"
        : span.TotalMinutes >= 1 && span.TotalMinutes == Math.Floor(span.TotalMinutes) ? $"{span.TotalMinutes:0} min"
        : $"{span.TotalSeconds:0.#} s";
}

/// <summary>Thrown by <see cref="UserRateLimits.EnsureAllowedAsync"/> (the dashboard's path); mapped to 429 like the API's refusal.</summary>
public sealed class RateLimitedException(RateLimitRefusal refusal) : Exception(refusal.Detail)
{
    public RateLimitRefusal Refusal { get; } = refusal;
}
