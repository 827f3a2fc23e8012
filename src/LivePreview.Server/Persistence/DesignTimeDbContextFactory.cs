using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace LivePreview.Persistence;

/// <summary>Lets <c>dotnet ef migrations add … --context LivePreviewDbContext</c> build the SQLite model without starting the service.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<LivePreviewDbContext>
{
    public LivePreviewDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<LivePreviewDbContext>().UseSqlite("Data Source=design-time.db").Options);
}

/// <summary>
/// The same for <c>--context PostgreSqlDbContext --output-dir Persistence/PostgreSqlMigrations</c>: adding a migration
/// needs the provider's type mappings, not a server, so the connection string names none that must exist.
/// </summary>
internal sealed class PostgreSqlDesignTimeDbContextFactory : IDesignTimeDbContextFactory<PostgreSqlDbContext>
{
    public PostgreSqlDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<LivePreviewDbContext>().UseNpgsql("Host=localhost;Database=livepreview_design").Options);
}
