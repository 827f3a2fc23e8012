using Microsoft.Extensions.Options;

namespace LivePreview.Commands;

/// <summary>Bounds on commands run in sandboxes through <c>/api/v1/sandboxes/{id}/commands</c>.</summary>
public sealed class CommandOptions
{
    public const string Section = "LivePreview:Commands";

    /// <summary>Commands running at once in one sandbox; one more is refused with 429 (a sandbox's pids cgroup bounds what they fork).</summary>
    public int MaxConcurrentPerSandbox { get; set; } = 4;

    /// <summary>Output kept per command: this many KiB from its start and this many from its end; the middle is dropped and the command marked truncated.</summary>
    public int OutputKeepKiB { get; set; } = 512;

    /// <summary>Timeout of a command that asks for none.</summary>
    public int DefaultTimeoutSeconds { get; set; } = 600;

    /// <summary>The longest timeout a caller may ask for.</summary>
    public int MaxTimeoutSeconds { get; set; } = 3600;

    /// <summary>The most bytes one <c>POST …/input</c> carries.</summary>
    public int MaxInputBytes { get; set; } = 1024 * 1024;

    internal int OutputKeepBytes => OutputKeepKiB * 1024;
}

internal sealed class CommandOptionsValidator : IValidateOptions<CommandOptions>
{
    public ValidateOptionsResult Validate(string? name, CommandOptions options)
    {
        var errors = new List<string>();
        if (options.MaxConcurrentPerSandbox < 1)
        {
            errors.Add($"{CommandOptions.Section}:MaxConcurrentPerSandbox must be at least 1.");
        }
        if (options.OutputKeepKiB is < 1 or > 64 * 1024)
        {
            errors.Add($"{CommandOptions.Section}:OutputKeepKiB must be between 1 and 65536.");
        }
        if (options.MaxTimeoutSeconds < 1)
        {
            errors.Add($"{CommandOptions.Section}:MaxTimeoutSeconds must be at least 1.");
        }
        if (options.DefaultTimeoutSeconds < 1 || options.DefaultTimeoutSeconds > options.MaxTimeoutSeconds)
        {
            errors.Add($"{CommandOptions.Section}:DefaultTimeoutSeconds must be between 1 and MaxTimeoutSeconds.");
        }
        if (options.MaxInputBytes < 1)
        {
            errors.Add($"{CommandOptions.Section}:MaxInputBytes must be at least 1.");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
