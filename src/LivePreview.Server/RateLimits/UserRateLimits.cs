using System.Security.Claims;
using System.Threading.RateLimiting;
using LivePreview.Auth;
using Microsoft.Extensions.Options;

namespace LivePreview.RateLimits;

/// <summary>
/// The per-user limiters, one token bucket per user and limit, shared by the API (through the ASP.NET Core rate-limiting
/// middleware's named policies, <see cref="RateLimitsExtensions"/>) and the dashboard (which calls the managers directly and so
/// asks <see cref="EnsureAllowedAsync"/> first): a user's creations count the same wherever they click or call.
/// </summary>
/// <remarks>
/// Token bucket rather than a fixed or sliding window: it never lets a burst of twice the limit through at a window's edge
/// (fixed window), keeps one counter per user instead of a window's segments (sliding window), and its refusal knows the
/// exact time to the next permit, which becomes <c>Retry-After</c>.
/// </remarks>
public sealed class UserRateLimits : IDisposable
{
    private readonly RateLimitOptions _options;
    private readonly Audit _audit;
    private readonly Dictionary<UserLimit, PartitionedRateLimiter<string>> _limiters = [];

    public UserRateLimits(IOptions<RateLimitOptions> options, Audit audit)
    {
        _options = options.Value;
        _audit = audit;
        foreach (var limit in UserLimits.All)
        {
            var setting = _options[limit];
            // Not auto-replenishing: the partitioned limiter refills every bucket from one timer, and drops full idle ones.
            _limiters[limit] = PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetTokenBucketLimiter(user, _ =>
                new TokenBucketRateLimiterOptions
                {
                    TokenLimit = setting.PermitLimit,
                    TokensPerPeriod = 1,
                    ReplenishmentPeriod = setting.RefillEvery,
                    QueueLimit = 0,
                    AutoReplenishment = false,
                }));
        }
    }

    public bool IsEnabled(UserLimit limit) => _options.Enabled && _options[limit].Enabled;

    public RateLimitSetting Setting(UserLimit limit) => _options[limit];

    /// <summary>
    /// Takes one permit of <paramref name="limit"/> for the signed-in <paramref name="user"/>, or reports the refusal
    /// (log, <c>RATE_LIMITED</c>) and throws <see cref="RateLimitedException"/>. For callers that are not requests to a
    /// rate-limited endpoint: <paramref name="method"/> and <paramref name="path"/> say where the refusal happened.
    /// </summary>
    public async Task EnsureAllowedAsync(UserLimit limit, ClaimsPrincipal user, string method, string path)
    {
        if (!IsEnabled(limit))
        {
            return;
        }
        var userId = user.RequireUserId();
        using var lease = _limiters[limit].AttemptAcquire(userId);
        if (lease.IsAcquired)
        {
            return;
        }
        var refusal = Refusal(limit, userId, lease);
        await ReportAsync(refusal, method, path);
        throw new RateLimitedException(refusal);
    }

    /// <summary>The limiter of <paramref name="limit"/> for one user, as the middleware's partition (it does not own it).</summary>
    internal RateLimiter PartitionFor(UserLimit limit, string user, TimeProvider time) => new SharedPartition(_limiters[limit], user, time);

    internal RateLimitRefusal Refusal(UserLimit limit, string user, RateLimitLease lease)
    {
        var setting = _options[limit];
        var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : setting.RefillEvery;
        return new RateLimitRefusal(limit, user, setting, retryAfter);
    }

    internal Task ReportAsync(RateLimitRefusal refusal, string method, string path) => _audit.RateLimitedAsync(refusal, method, path);

    public void Dispose()
    {
        foreach (var limiter in _limiters.Values)
        {
            limiter.Dispose();
        }
    }

    /// <summary>
    /// One user's view of a shared partitioned limiter. The middleware keeps and disposes its partitions as it likes
    /// (idle ones after a few seconds); disposing this view leaves the user's bucket, which belongs to <see cref="UserRateLimits"/>, alone.
    /// </summary>
    private sealed class SharedPartition(PartitionedRateLimiter<string> shared, string user, TimeProvider time) : RateLimiter
    {
        private long _lastUsed = time.GetTimestamp();

        public override TimeSpan? IdleDuration => time.GetElapsedTime(Interlocked.Read(ref _lastUsed));

        public override RateLimiterStatistics? GetStatistics() => shared.GetStatistics(user);

        protected override RateLimitLease AttemptAcquireCore(int permitCount)
        {
            Interlocked.Exchange(ref _lastUsed, time.GetTimestamp());
            return shared.AttemptAcquire(user, permitCount);
        }

        protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
        {
            Interlocked.Exchange(ref _lastUsed, time.GetTimestamp());
            return shared.AcquireAsync(user, permitCount, cancellationToken);
        }
    }
}
