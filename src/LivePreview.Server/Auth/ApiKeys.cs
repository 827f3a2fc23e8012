using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;

namespace LivePreview.Auth;

/// <summary>A new key: the stored row, and the key itself (shown to its owner once, never stored).</summary>
public sealed record NewApiKey(ApiKeyRecord Record, string Key);

/// <summary>
/// The one place API keys are made, checked and revoked. Keys are 256 random bits, so a plain SHA-256 is
/// enough to store them: a slow password hash protects low-entropy secrets from guessing, and nobody can
/// guess 2^256; a fast hash also keeps every request's key check cheap.
/// </summary>
public sealed partial class ApiKeys(IDbContextFactory<LivePreviewDbContext> db, TimeProvider time)
{
    public const string BootstrapId = "key_bootstrap";

    /// <summary>Every generated key starts with this, so the proxy can recognise one and strip it.</summary>
    public const string KeyPrefix = "lpk_";

    /// <summary>256 random bits, base64url, after <paramref name="prefix"/> (API keys <c>lpk_</c>, preview grants <c>lpg_</c>).</summary>
    public static string NewSecret(string prefix = KeyPrefix) => prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static bool IsValidUser(string? user) => user is not null && UserPattern().IsMatch(user);

    /// <summary>A label to show: no control characters, and no format characters either (a bidi override or a zero-width
    /// space would make one key's name show as another's in the key list).</summary>
    public static bool IsValidName(string? name) => name is { Length: > 0 and <= 100 } && !string.IsNullOrWhiteSpace(name)
        && !name.Any(c => char.IsControl(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.Format or System.Globalization.UnicodeCategory.Surrogate);

    public async Task<NewApiKey> CreateAsync(string user, string name, bool admin, CancellationToken ct)
    {
        var key = NewSecret();
        var record = new ApiKeyRecord
        {
            Id = "key_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            User = user,
            Name = name,
            Hash = Hash(key),
            IsAdmin = admin,
            CreatedAt = time.GetUtcNow(),
        };
        await using var context = await db.CreateDbContextAsync(ct);
        context.ApiKeys.Add(record);
        await context.SaveChangesAsync(ct);
        return new NewApiKey(record, key);
    }

    /// <summary>The key's row when it exists and is not revoked.</summary>
    public async Task<ApiKeyRecord?> FindActiveAsync(string key, CancellationToken ct)
    {
        if (key.Length is 0 or > 512)
        {
            return null;
        }
        var hash = Hash(key);
        await using var context = await db.CreateDbContextAsync(ct);
        return await context.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Hash == hash && k.RevokedAt == null, ct);
    }

    /// <summary>The key's row, revoked or not (for saying who a refused or revoked key was).</summary>
    public async Task<ApiKeyRecord?> FindAnyAsync(string key, CancellationToken ct)
    {
        if (key.Length is 0 or > 512)
        {
            return null;
        }
        var hash = Hash(key);
        await using var context = await db.CreateDbContextAsync(ct);
        return await context.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Hash == hash, ct);
    }

    public async Task<ApiKeyRecord?> GetAsync(string id, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct);
        return await context.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id, ct);
    }

    public async Task<bool> IsActiveAsync(string id, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct);
        return await context.ApiKeys.AnyAsync(k => k.Id == id && k.RevokedAt == null, ct);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct);
        var keys = await context.ApiKeys.AsNoTracking().ToListAsync(ct);
        return [.. keys.OrderBy(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal)];
    }

    /// <summary>False when there is no such key; revoking a revoked key changes nothing.</summary>
    public async Task<bool> RevokeAsync(string id, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct);
        var record = await context.ApiKeys.SingleOrDefaultAsync(k => k.Id == id, ct);
        if (record is null)
        {
            return false;
        }
        record.RevokedAt ??= time.GetUtcNow();
        await context.SaveChangesAsync(ct);
        return true;
    }

    /// <summary>
    /// Makes <paramref name="key"/> the bootstrap admin's key. The same key as before keeps its row as it is
    /// (a revoked bootstrap key stays revoked); a different key replaces the row.
    /// </summary>
    public async Task EnsureBootstrapAsync(string user, string key, CancellationToken ct)
    {
        // Instances sharing a database may start at the same moment: the one whose insert loses reads the winner's row
        // (the same key, configured alike on every instance) instead of failing its start.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteBootstrapAsync(user, Hash(key), ct);
                return;
            }
            catch (DbUpdateException) when (attempt < 3)
            {
            }
        }
    }

    private async Task WriteBootstrapAsync(string user, string hash, CancellationToken ct)
    {
        await using var context = await db.CreateDbContextAsync(ct);
        var record = await context.ApiKeys.SingleOrDefaultAsync(k => k.Id == BootstrapId, ct);
        if (record is not null && record.Hash == hash && record.User == user)
        {
            return;
        }
        if (record is not null)
        {
            context.ApiKeys.Remove(record);
            await context.SaveChangesAsync(ct);
        }
        context.ApiKeys.Add(new ApiKeyRecord
        {
            Id = BootstrapId,
            User = user,
            Name = "bootstrap",
            Hash = hash,
            IsAdmin = true,
            CreatedAt = time.GetUtcNow(),
        });
        await context.SaveChangesAsync(ct);
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex UserPattern();
}
