using LivePreview.Commands;
using LivePreview.Agents;
using LivePreview.AgentSessions;
using LivePreview.Auth;
using LivePreview.DevServers;
using LivePreview.Egress;
using LivePreview.Events;
using LivePreview.Gateway;
using LivePreview.Git;
using LivePreview.Grants;
using LivePreview.Instances;
using LivePreview.Metrics;
using LivePreview.Persistence;
using LivePreview.Previews;
using LivePreview.Prototypes;
using LivePreview.Proxy;
using LivePreview.Questions;
using LivePreview.RateLimits;
using LivePreview.Repositories;
using LivePreview.Sandboxes;
using LivePreview.Sandboxes.Local;
using LivePreview.Snapshots;
using LivePreview.Tasks;
using LivePreview.Terminals;
using LivePreview.Usage;
using LivePreview.Ui;
using LivePreview.WarmPool;
using LivePreview.Workspaces;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;

namespace LivePreview.Hosting;

/// <summary>The service as a table of contents: what it is made of, and in which order requests meet it.</summary>
public static class LivePreviewApp
{
    public const string DefaultUrl = "http://localhost:8080";

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // Content root = the app's folder, so appsettings.json applies wherever the service is started from.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        UseDefaultUrlUnlessConfigured(builder);
        builder.Services.AddLivePreviewCore();
        builder.Services.AddPersistence();
        builder.Services.AddInstances();
        builder.Services.AddEvents(builder.Configuration);
        builder.Services.AddSandboxProvider(builder.Configuration);
        builder.Services.AddPackageManagerTools();
        builder.Services.AddEgress();
        builder.Services.AddGateway();
        builder.Services.AddSnapshots();
        builder.Services.AddPreviews();
        builder.Services.AddPreviewGrants();
        builder.Services.AddAgents();
        builder.Services.AddSandboxAgentHost();
        builder.Services.AddCommands();
        builder.Services.AddHostGit();
        builder.Services.AddTasks();
        builder.Services.AddPrototypes();
        builder.Services.AddRepositories();
        builder.Services.AddAgentSessions();
        builder.Services.AddWarmPool();
        builder.Services.AddTerminals();
        builder.Services.AddPrometheusMetrics();
        builder.Services.AddPreviewMetrics();
        builder.Services.AddLivePreviewApi();
        builder.Services.AddUi();
        builder.Services.AddLivePreviewAuth();
        builder.Services.AddUserRateLimits();
        configure?.Invoke(builder);

        var app = builder.Build();
        app.UseWebSockets();
        app.UseInstanceForwarding();
        app.UseMiddleware<PreviewProxyMiddleware>();
        app.UseDashboardFraming();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // After the preview proxy (previews answer before this) and before every endpoint: see Auth/.
        app.UseLivePreviewAuth();
        // After authorization: anonymous requests are 401 before a limit counts them (RateLimits/).
        app.UseUserRateLimits();
        app.UseAntiforgery();
        app.MapOpenApi();
        app.MapScalarApiReference("/api");
        app.MapHealthApi();
        app.MapAuth();
        app.MapSandboxApi();
        app.MapCommandApi();
        app.MapUsageApi();
        app.MapFilesApi();
        app.MapPreviewApi();
        app.MapPortApi();
        app.MapGrantsApi();
        app.MapPrototypeApi();
        app.MapAgentSessionApi();
        app.MapTaskApi();
        app.MapEventsApi();
        app.MapQuestionsApi();
        app.MapWarmPoolApi();
        app.MapTerminalApi();
        app.MapPrometheusMetrics();
        app.MapUi();
        return app;
    }

    private static void UseDefaultUrlUnlessConfigured(WebApplicationBuilder builder)
    {
        var c = builder.Configuration;
        if (string.IsNullOrEmpty(c["urls"]) && string.IsNullOrEmpty(c["http_ports"]) && string.IsNullOrEmpty(c["https_ports"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
    }

    private static IServiceCollection AddLivePreviewCore(this IServiceCollection services)
    {
        services.AddOptions<LivePreviewOptions>().BindConfiguration(LivePreviewOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.DataDirectory), "LivePreview:DataDirectory must not be empty.").ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<BackgroundWork>();
        services.TryAddSingleton<StartupBarrier>();
        services.TryAddSingleton<ContainmentStatus>();
        services.AddHostedService<ContainmentStartup>();
        services.AddHostedService<StartupReconciliation>();
        return services;
    }

    private static IServiceCollection AddPreviews(this IServiceCollection services)
    {
        services.AddOptions<PreviewOptions>().BindConfiguration(PreviewOptions.Section)
            .Validate(o => o.MaxRestarts >= 0 && o.LogLines > 0 && o.ReadinessTimeout > TimeSpan.Zero, "LivePreview:Previews has an out-of-range value.")
            .Validate(o => o.Scheme is "http" or "https", "LivePreview:Previews:Scheme must be http or https.")
            .Validate(o => o.InjectScanBytes is > 0 and <= 1024 * 1024, "LivePreview:Previews:InjectScanBytes must be between 1 and 1048576.")
            .Validate(o => o.ReportBurst > 0 && o.ReportsPerSecond > 0 && o.MaxReportsPerWindow > 0 && o.ReportWindow > TimeSpan.Zero,
                "LivePreview:Previews:ReportBurst, ReportsPerSecond, MaxReportsPerWindow and ReportWindow must be positive.")
            .Validate(o => o.AgentPaintWait >= TimeSpan.Zero && o.AgentPaintWait <= TimeSpan.FromMinutes(1) && o.AgentPaintSettle >= TimeSpan.Zero,
                "LivePreview:Previews:AgentPaintWait must be between 0 and 1 minute, AgentPaintSettle 0 or more.")
            .Validate(o => o.UpdateReportBurst > 0 && o.UpdateReportsPerSecond > 0 && o.UpdateMatchWindow > TimeSpan.Zero,
                "LivePreview:Previews:UpdateReportBurst, UpdateReportsPerSecond and UpdateMatchWindow must be positive.")
            .Validate(o => o.PortDetection.Interval > TimeSpan.Zero && o.PortDetection.MaxPorts >= 1 && o.PortDetection.NotHttpAfter >= TimeSpan.Zero,
                "LivePreview:Previews:PortDetection: Interval must be positive and MaxPorts 1 or more.")
            .ValidateOnStart();
        services.AddOptions<SandboxOptions>().BindConfiguration(SandboxOptions.Section)
            .Validate(o => o.MaxSandboxes > 0, "LivePreview:Sandboxes:MaxSandboxes must be positive.").ValidateOnStart();
        services.AddOptions<QuotaOptions>().BindConfiguration(QuotaOptions.Section)
            .Validate(o => o.MaxSandboxesPerUser >= 1, "LivePreview:Quotas:MaxSandboxesPerUser must be 1 or more (there is no unlimited; admins are exempt).").ValidateOnStart();
        services.AddOptions<WorkspaceFilesOptions>().BindConfiguration(WorkspaceFilesOptions.Section)
            .Validate(o => o.MaxFileBytes > 0, "LivePreview:Files:MaxFileBytes must be positive.").ValidateOnStart();
        // Sandboxes are reached only through SandboxHttpClient (pinned endpoint, no redirects, bounded reads).
        services.TryAddSingleton(_ => new ReadinessProbe(SandboxHttpLimits.Default));
        services.TryAddSingleton<PreviewAddress>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IContainmentProbe, PreviewOriginProbe>());
        services.TryAddSingleton<PreviewManager>();
        services.TryAddSingleton<PortWatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<PortWatcher>());
        services.TryAddSingleton<SandboxManager>();
        services.TryAddSingleton<WorkspaceFiles>();
        services.AddHttpForwarder();
        services.TryAddSingleton<PreviewForwarding>();
        services.TryAddSingleton<ClientReports>();
        services.TryAddSingleton<PreviewUpdates>();
        services.TryAddSingleton<PreviewViewers>();
        services.TryAddSingleton<PaintFeedback>();
        services.TryAddSingleton<Agents.IAgentPreviewFeedback>(sp => sp.GetRequiredService<PaintFeedback>());
        return services;
    }

    private static IServiceCollection AddLivePreviewApi(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => JsonDefaults.Configure(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.TryAddSingleton<StatusProblems>();
        services.AddProblemDetails();
        services.AddOptions<ProblemDetailsOptions>().Configure<IServiceProvider>((o, sp) =>
            o.CustomizeProblemDetails = sp.GetRequiredService<StatusProblems>().Customize);
        services.AddExceptionHandler<ApiProblems>();
        services.AddOpenApi();
        return services;
    }
}
