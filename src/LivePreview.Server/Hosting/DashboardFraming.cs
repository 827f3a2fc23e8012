using LivePreview.Ui;
using Microsoft.Extensions.Options;

namespace LivePreview.Hosting;

/// <summary>
/// Responses of the service's own pages (not previews, which the proxy answers before this runs)
/// say who may frame them. Previews get their own frame-ancestors from the proxy.
/// </summary>
internal static class DashboardFraming
{
    public static IApplicationBuilder UseDashboardFraming(this IApplicationBuilder app)
    {
        var policy = $"frame-ancestors {app.ApplicationServices.GetRequiredService<IOptions<UiOptions>>().Value.FrameAncestors}";
        return app.Use((context, next) =>
        {
            context.Response.Headers.ContentSecurityPolicy = policy;
            return next(context);
        });
    }
}
