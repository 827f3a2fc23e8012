using System.Security.Cryptography;
using LivePreview.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;

namespace LivePreview.Instances;

/// <summary>
/// Who this instance is: its id (<see cref="InstanceOptions.Id"/>, else the one kept in <c>instance-id</c> in the data
/// directory, made once) and, once the server listens, the URL the other instances forward to.
/// </summary>
public sealed class InstanceIdentity
{
    private readonly IOptions<InstanceOptions> _options;
    private readonly IServer? _server;
    private string? _internalUrl;

    public InstanceIdentity(IOptions<InstanceOptions> options, IOptions<LivePreviewOptions> service, IServer? server = null)
    {
        _options = options;
        _server = server;
        Id = string.IsNullOrEmpty(options.Value.Id) ? StoredId(service.Value.ResolveDataDirectory()) : options.Value.Id;
    }

    public string Id { get; }

    /// <summary>The configured internal URL, else the first address the server listens on (wildcards read as 127.0.0.1).</summary>
    public string InternalUrl => _internalUrl ??= Resolve();

    private string Resolve()
    {
        if (!string.IsNullOrEmpty(_options.Value.InternalUrl))
        {
            return _options.Value.InternalUrl.TrimEnd('/');
        }
        var address = _server?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal))
            ?? _server?.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException($"The server listens nowhere yet; set {InstanceOptions.Section}:InternalUrl.");
        var url = new UriBuilder(address.Replace("://+", "://127.0.0.1", StringComparison.Ordinal).Replace("://*", "://127.0.0.1", StringComparison.Ordinal));
        if (url.Host is "0.0.0.0" or "[::]" or "::")
        {
            url.Host = "127.0.0.1";
        }
        return url.Uri.GetLeftPart(UriPartial.Authority);
    }

    /// <summary>The id kept in the data directory, so a restart without a configured id is the same instance.</summary>
    private static string StoredId(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Join(dataDirectory, "instance-id");
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } stored && InstanceOptionsValidator.IdPattern().IsMatch(stored))
        {
            return stored;
        }
        var id = "i-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, id + "\n");
        File.Move(temporary, path, overwrite: true);
        return id;
    }
}
