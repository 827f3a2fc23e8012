using Microsoft.Extensions.Options;

namespace LivePreview.Sandboxes.Daytona;

/// <summary>Sandboxes rented from Daytona (section <c>LivePreview:Sandboxes:Daytona</c>), used when <c>LivePreview:Sandboxes:Provider</c> is <c>Daytona</c>.</summary>
public sealed class DaytonaOptions
{
    public const string Section = "LivePreview:Sandboxes:Daytona";

    /// <summary>Daytona's API root, e.g. <c>https://app.daytona.io/api</c>.</summary>
    public string ApiUrl { get; set; } = "";

    /// <summary>A secret: sent only as <c>Authorization: Bearer</c> to <see cref="ApiUrl"/> and the toolbox; never logged, never given to a sandbox.</summary>
    public string ApiKey { get; set; } = "";

    /// <summary>The region sandboxes are created in (Daytona's <c>target</c>); empty for the organisation's default.</summary>
    public string Target { get; set; } = "";

    /// <summary>
    /// Our framework snapshots by framework name (<c>react-vite</c>) to Daytona snapshot names (an image holding the template and its
    /// installed dependencies at <see cref="WorkspaceDirectory"/>). A framework without an entry cannot be created on Daytona.
    /// </summary>
    public Dictionary<string, string> Snapshots { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The workspace inside a Daytona sandbox. Absolute in a real image (<c>/app</c>, as every provider's processes see it);
    /// a relative path is relative to the sandbox's working directory, as Daytona's toolbox resolves it.
    /// </summary>
    public string WorkspaceDirectory { get; set; } = SandboxPaths.Workspace;

    /// <summary>Minutes of inactivity after which Daytona stops a sandbox (0: never). The warm pool's health pass sees it stopped.</summary>
    public int AutoStopMinutes { get; set; } = 30;

    /// <summary>How long a create or a start may take before it is reported as failed.</summary>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How often a sandbox's state is asked while waiting for it to start, and a command's exit code after its output ended.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Every API or toolbox call (not a followed log stream).</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Bytes of output a command run to completion keeps (the last ones).</summary>
    public int CommandOutputLimitBytes { get; set; } = 256 * 1024;

    /// <summary>Lines a started process buffers for a slow reader before the oldest are dropped (unless it asked for lossless output).</summary>
    public int OutputBufferLines { get; set; } = 2000;
}

internal sealed class DaytonaOptionsValidator : IValidateOptions<DaytonaOptions>
{
    public ValidateOptionsResult Validate(string? name, DaytonaOptions options)
    {
        var failures = new List<string>();
        if (!Uri.TryCreate(options.ApiUrl, UriKind.Absolute, out var api) || api.Scheme is not ("https" or "http"))
        {
            failures.Add($"{DaytonaOptions.Section}:ApiUrl must be Daytona's API root as an http(s) URL (e.g. https://app.daytona.io/api).");
        }
        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            failures.Add($"{DaytonaOptions.Section}:ApiKey is required (a Daytona API key; keep it in a secret store or an environment variable).");
        }
        if (string.IsNullOrWhiteSpace(options.WorkspaceDirectory) || options.WorkspaceDirectory.Contains("..", StringComparison.Ordinal))
        {
            failures.Add($"{DaytonaOptions.Section}:WorkspaceDirectory must be a path without '..'.");
        }
        if (options.AutoStopMinutes < 0 || options.StartTimeout <= TimeSpan.Zero || options.PollInterval <= TimeSpan.Zero || options.RequestTimeout <= TimeSpan.Zero
            || options.CommandOutputLimitBytes <= 0 || options.OutputBufferLines <= 0)
        {
            failures.Add($"{DaytonaOptions.Section}: AutoStopMinutes must be 0 or more; timeouts, intervals and limits must be positive.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
