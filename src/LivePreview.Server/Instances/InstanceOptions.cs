using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace LivePreview.Instances;

/// <summary>
/// This process as one of several instances sharing a database (section <c>LivePreview:Instances</c>). A single
/// instance needs none of it: it registers itself all the same, and nothing is ever forwarded.
/// </summary>
public sealed class InstanceOptions
{
    public const string Section = "LivePreview:Instances";

    /// <summary>
    /// The instance's stable id (<c>[a-z0-9-]</c>, at most 63): its sandboxes are recorded under it, so a restart with the
    /// same id takes them back. Empty: one generated once into <c>instance-id</c> in the data directory.
    /// </summary>
    public string? Id { get; set; }

    /// <summary>
    /// The http(s) URL the other instances reach this one at (forwarded requests go there), e.g. <c>http://lp-1:8080</c>.
    /// Empty: the address the server listens on, with a wildcard host read as 127.0.0.1 (right on one machine only).
    /// </summary>
    public string? InternalUrl { get; set; }

    /// <summary>
    /// Shared by every instance: requests forwarded between them are signed with it (HMAC-SHA256), and a request that
    /// claims to be forwarded without a valid signature is refused. Required (at least 32 characters) once another
    /// instance registers; empty on a lone instance.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>How often the instance writes its heartbeat (and its free capacity) and looks for lost instances.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// An instance whose heartbeat is older than this is lost: its sandboxes are marked lost and its running sessions
    /// interrupted. Detection takes at most <see cref="LostAfter"/> + <see cref="HeartbeatInterval"/> after its last beat.
    /// </summary>
    public TimeSpan LostAfter { get; set; } = TimeSpan.FromSeconds(20);
}

internal sealed partial class InstanceOptionsValidator : IValidateOptions<InstanceOptions>
{
    public ValidateOptionsResult Validate(string? name, InstanceOptions options)
    {
        var errors = new List<string>();
        if (!string.IsNullOrEmpty(options.Id) && !IdPattern().IsMatch(options.Id))
        {
            errors.Add($"{InstanceOptions.Section}:Id must be 1–63 characters of a-z, 0-9 and '-' (e.g. lp-1), not starting with '-'.");
        }
        if (!string.IsNullOrEmpty(options.InternalUrl)
            && (!Uri.TryCreate(options.InternalUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || url.PathAndQuery != "/"))
        {
            errors.Add($"{InstanceOptions.Section}:InternalUrl must be an absolute http(s) URL with no path, e.g. http://lp-1:8080.");
        }
        if (!string.IsNullOrEmpty(options.Secret) && options.Secret.Length < 32)
        {
            errors.Add($"{InstanceOptions.Section}:Secret must have at least 32 characters (e.g. openssl rand -hex 32).");
        }
        if (options.HeartbeatInterval <= TimeSpan.Zero)
        {
            errors.Add($"{InstanceOptions.Section}:HeartbeatInterval must be positive (e.g. 00:00:05).");
        }
        if (options.LostAfter < options.HeartbeatInterval * 2)
        {
            errors.Add($"{InstanceOptions.Section}:LostAfter must be at least twice HeartbeatInterval (a late beat is not a lost instance).");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,62}$")]
    internal static partial Regex IdPattern();
}
