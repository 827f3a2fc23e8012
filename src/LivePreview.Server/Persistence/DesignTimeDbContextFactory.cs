using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace LivePreview.Persistence;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without starting the service.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<LivePreviewDbContext>
{
    public LivePreviewDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<LivePreviewDbContext>().UseSqlite("Data Source=design-time.db").Options);
}
