using System.Globalization;
using System.Threading.RateLimiting;
using LivePreview.Auth;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LivePreview.RateLimits;

/// <summary>
/// Per-user rate limits with ASP.NET Core rate limiting: one named policy per <see cref="UserLimit"/>, partitioned by the
/// signed-in user, whose buckets live in <see cref="UserRateLimits"/> so the dashboard's direct calls share them.
/// </summary>
public static class RateLimitsExtensions
{
    public static IServiceCollection AddUserRateLimits(this IServiceCollection services)
    {
        services.AddOptions<RateLimitOptions>().BindConfiguration(RateLimitOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RateLimitOptions>, RateLimitOptionsValidation>());
        services.TryAddSingleton<UserRateLimits>();
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = RejectAsync;
            foreach (var limit in UserLimits.All)
            {
                o.AddPolicy(UserLimits.Policy(limit), context => Partition(limit, context));
            }
        });
        return services;
    }

    /// <summary>After authentication and authorization: a limit counts only requests of a signed-in user that may make them.</summary>
    public static IApplicationBuilder UseUserRateLimits(this IApplicationBuilder app)
    {
        if (!app.ApplicationServices.GetRequiredService<IOptions<RateLimitOptions>>().Value.Enabled)
        {
            RateLimitLog.AllOff(app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(UserRateLimits)));
        }
        return app.UseRateLimiter();
    }

    /// <summary>Limits the endpoint(s) by <paramref name="limit"/>, per signed-in user.</summary>
    public static TBuilder RequireUserLimit<TBuilder>(this TBuilder builder, UserLimit limit) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRateLimiting(UserLimits.Policy(limit));

    private static RateLimitPartition<string> Partition(UserLimit limit, HttpContext context)
    {
        var limits = context.RequestServices.GetRequiredService<UserRateLimits>();
        var user = context.User.UserId();
        // Anonymous requests never get here (the fallback policy answered 401 before the limiter runs): no user, no bucket.
        if (user is null || !limits.IsEnabled(limit))
        {
            return RateLimitPartition.GetNoLimiter("");
        }
        var time = context.RequestServices.GetRequiredService<TimeProvider>();
        return RateLimitPartition.Get(user, u => limits.PartitionFor(limit, u, time));
    }

    private static async ValueTask RejectAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var policy = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName;
        var problem = new ProblemDetailsContext { HttpContext = http };
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        if (UserLimits.TryParsePolicy(policy, out var limit) && http.User.UserId() is { } user)
        {
            var limits = http.RequestServices.GetRequiredService<UserRateLimits>();
            var refusal = limits.Refusal(limit, user, context.Lease);
            http.Response.Headers.RetryAfter = refusal.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            await limits.ReportAsync(refusal, http.Request.Method, http.Request.Path.Value ?? "");
            Describe(problem.ProblemDetails, refusal);
        }
        else
        {
            problem.ProblemDetails.Title = "Too many requests";
            problem.ProblemDetails.Detail = "A rate limit refused this request; retry later.";
        }
        problem.ProblemDetails.Status = StatusCodes.Status429TooManyRequests;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().TryWriteAsync(problem);
    }

    /// <summary>The 429's title and detail, plus which limit, its setting and the seconds to wait, for clients to read.</summary>
    internal static void Describe(Microsoft.AspNetCore.Mvc.ProblemDetails problem, RateLimitRefusal refusal)
    {
        problem.Title = refusal.Title;
        problem.Detail = refusal.Detail;
        problem.Extensions["limit"] = refusal.Limit.ToString();
        problem.Extensions["setting"] = refusal.SettingName;
        problem.Extensions["retry_after_seconds"] = refusal.RetryAfterSeconds;
    }

    /// <summary>Names the setting that is out of range.</summary>
    private sealed class RateLimitOptionsValidation : IValidateOptions<RateLimitOptions>
    {
        public ValidateOptionsResult Validate(string? name, RateLimitOptions options)
        {
            var errors = UserLimits.All
                .Where(l => options[l] is not { PermitLimit: >= 1 and <= 100_000 } s || s.Window < TimeSpan.FromSeconds(1) || s.Window > TimeSpan.FromDays(1))
                .Select(l => $"{UserLimits.Setting(l)}: PermitLimit must be 1-100000 and Window between 00:00:01 and 1.00:00:00 " +
                    $"(it is {options[l].PermitLimit} per {options[l].Window}); to turn the limit off set {UserLimits.Setting(l)}:Enabled=false.")
                .ToList();
            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
