using LivePreview.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Persistence;

public static class PersistenceExtensions
{
    /// <summary>SQLite in the data directory by default (<c>LivePreview:Database:ConnectionString</c> overrides).</summary>
    public static IServiceCollection AddPersistence(this IServiceCollection services)
    {
        services.AddDbContextFactory<LivePreviewDbContext>((sp, options) =>
        {
            var config = sp.GetRequiredService<IConfiguration>();
            var connectionString = config["LivePreview:Database:ConnectionString"];
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                var dataDir = sp.GetRequiredService<IOptions<LivePreviewOptions>>().Value.ResolveDataDirectory();
                Directory.CreateDirectory(dataDir);
                connectionString = $"Data Source={Path.Combine(dataDir, "livepreview.db")}";
            }
            options.UseSqlite(connectionString).AddInterceptors(new SqliteBusyTimeout(TimeSpan.FromSeconds(30)));
        });
        return services;
    }

    /// <summary>Applies pending migrations; WAL keeps readers from blocking the event writer.</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var factory = services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
        await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
    }
}
