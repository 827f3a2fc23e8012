using Microsoft.EntityFrameworkCore;

namespace LivePreview.Persistence;

/// <summary>
/// The same model on PostgreSQL. It exists only so that EF Core finds a separate set of migrations: migrations are
/// bound to a context type (<c>[DbContext(typeof(…))]</c>), so the SQLite set stays on <see cref="LivePreviewDbContext"/>
/// untouched and the PostgreSQL set (<c>Persistence/PostgreSqlMigrations</c>) on this type, both in this assembly, so a
/// published build runs with either. This is EF Core's documented "derived context per provider" pattern; a separate
/// migrations assembly would have to be shipped and loaded beside the service for no gain. Every caller still asks for
/// <c>IDbContextFactory&lt;LivePreviewDbContext&gt;</c>; <see cref="ProviderDbContextFactory"/> hands out this type on PostgreSQL.
/// </summary>
public sealed class PostgreSqlDbContext(DbContextOptions<LivePreviewDbContext> options) : LivePreviewDbContext(options);
