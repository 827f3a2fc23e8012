using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace LivePreview.Auth;

/// <summary>
/// One-time login links (<c>/login?token=…</c>, as Jupyter prints one): each signs the bootstrap admin in
/// once, within <see cref="AuthOptions.LoginLinkLifetime"/>. Kept in memory only (hashed), so a restart
/// ends every link it had printed and prints a new one.
/// </summary>
public sealed class LoginLinks(IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _expiries = new(StringComparer.Ordinal);

    /// <summary>A new token for <c>/login?token=</c>.</summary>
    public string Issue()
    {
        var now = time.GetUtcNow();
        foreach (var (hash, expires) in _expiries)
        {
            if (expires <= now)
            {
                _expiries.TryRemove(hash, out _);
            }
        }
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        _expiries[ApiKeys.Hash(token)] = now + options.Value.LoginLinkLifetime;
        return token;
    }

    /// <summary>True once for a token that was issued and has not expired; false ever after.</summary>
    public bool TryRedeem(string? token) =>
        !string.IsNullOrEmpty(token) && token.Length <= 128
        && _expiries.TryRemove(ApiKeys.Hash(token), out var expires)
        && expires > time.GetUtcNow();
}
