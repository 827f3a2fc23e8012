using Microsoft.Extensions.Options;

namespace LivePreview.Tasks;

/// <summary>The task queue (section <c>LivePreview:Tasks</c>).</summary>
public sealed class TaskOptions
{
    public const string Section = "LivePreview:Tasks";

    /// <summary>Claims a task gets before it fails for good (a task may ask for its own number when enqueued).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How long a claim holds without a renewal; a crashed worker's task is claimable again once it lapses.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The wait after the first retryable failure; it doubles with each further attempt.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between attempts, however many failed.</summary>
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Largest bundle of a task's branch (the sandbox writes it, the host copies it into its own temp folder) in bytes.</summary>
    public long MaxPushBytes { get; set; } = 1024L * 1024 * 1024;

    /// <summary>Task workers in this process (each runs one task at a time); 0 runs none (tasks queue up).</summary>
    public int Workers { get; set; } = 1;

    /// <summary>How often an idle worker looks for a due task, and a busy one for its sandbox, preview and agent.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);
}

internal sealed class TaskOptionsValidator : IValidateOptions<TaskOptions>
{
    public ValidateOptionsResult Validate(string? name, TaskOptions options)
    {
        var errors = new List<string>();
        if (options.MaxAttempts is < 1 or > 100)
        {
            errors.Add($"{TaskOptions.Section}:MaxAttempts must be between 1 and 100.");
        }
        if (options.Lease <= TimeSpan.Zero)
        {
            errors.Add($"{TaskOptions.Section}:Lease must be positive (e.g. 00:05:00).");
        }
        if (options.RetryBackoff < TimeSpan.Zero || options.MaxRetryBackoff < options.RetryBackoff)
        {
            errors.Add($"{TaskOptions.Section}:RetryBackoff must be zero or positive and not above MaxRetryBackoff.");
        }
        if (options.Workers is < 0 or > 64)
        {
            errors.Add($"{TaskOptions.Section}:Workers must be between 0 and 64.");
        }
        if (options.PollInterval <= TimeSpan.Zero)
        {
            errors.Add($"{TaskOptions.Section}:PollInterval must be positive (e.g. 00:00:01).");
        }
        if (options.MaxPushBytes < 1)
        {
            errors.Add($"{TaskOptions.Section}:MaxPushBytes must be at least 1.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
