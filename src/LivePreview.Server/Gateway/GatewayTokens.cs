using System.Security.Cryptography;
using System.Text;
using LivePreview.Hosting;
using LivePreview.Sandboxes;
using Microsoft.Extensions.Options;

namespace LivePreview.Gateway;

/// <summary>
/// Sandbox tokens: <c>lpsb_{sandboxId}_{HMAC-SHA256(secret, sandboxId)}</c>. Nothing is stored, so a token is
/// valid again after a restart; the sandbox's row must still exist, so a deleted sandbox's token is refused.
/// The token names its sandbox, and only the MAC makes it valid (compared in constant time).
/// </summary>
public sealed class GatewayTokens
{
    private const string Prefix = "lpsb_";
    private readonly byte[] _secret;

    public GatewayTokens(IOptions<GatewayOptions> options, IOptions<LivePreviewOptions> common)
    {
        _secret = options.Value.TokenSecret is { Length: > 0 } configured
            ? Encoding.UTF8.GetBytes(configured)
            : LoadOrCreateSecret(Path.Combine(common.Value.DataDirectory, "gateway-secret"));
    }

    public string For(string sandboxId) => Prefix + sandboxId + "_" + Mac(sandboxId);

    /// <summary>The sandbox the token was made for, or null when it is not a valid token.</summary>
    public string? SandboxOf(string? token)
    {
        if (token is null || !token.StartsWith(Prefix, StringComparison.Ordinal) || token.Length != Prefix.Length + SandboxId.Length + 1 + 43)
        {
            return null;
        }
        var id = token.Substring(Prefix.Length, SandboxId.Length);
        if (!SandboxId.IsValid(id) || token[Prefix.Length + SandboxId.Length] != '_')
        {
            return null;
        }
        var given = Encoding.ASCII.GetBytes(token[(Prefix.Length + SandboxId.Length + 1)..]);
        var expected = Encoding.ASCII.GetBytes(Mac(id));
        return CryptographicOperations.FixedTimeEquals(given, expected) ? id : null;
    }

    private string Mac(string sandboxId) =>
        Convert.ToBase64String(HMACSHA256.HashData(_secret, Encoding.UTF8.GetBytes(sandboxId))).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] LoadOrCreateSecret(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        if (File.Exists(path))
        {
            return File.ReadAllBytes(path);
        }
        var secret = RandomNumberGenerator.GetBytes(32);
        var temporary = path + ".tmp";
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var file = new FileStream(temporary, create))
        {
            file.Write(secret);
        }
        File.Move(temporary, path, overwrite: false);
        return secret;
    }
}
