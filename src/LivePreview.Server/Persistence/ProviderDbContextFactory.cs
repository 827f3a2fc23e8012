using Microsoft.EntityFrameworkCore;

namespace LivePreview.Persistence;

/// <summary>Creates the context type whose migrations match the configured provider (see <see cref="PostgreSqlDbContext"/>).</summary>
internal sealed class ProviderDbContextFactory(DbContextOptions<LivePreviewDbContext> options, DatabaseTarget target)
    : IDbContextFactory<LivePreviewDbContext>
{
    public LivePreviewDbContext CreateDbContext() =>
        target.Provider == DatabaseProvider.PostgreSQL ? new PostgreSqlDbContext(options) : new LivePreviewDbContext(options);
}
