using LivePreview.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;

namespace LivePreview.Persistence;

public static partial class PersistenceExtensions
{
    /// <summary>
    /// The database from <c>LivePreview:Database:Provider</c> and <c>ConnectionStrings:LivePreview</c>: SQLite in the data
    /// directory by default (<c>LivePreview:Database:ConnectionString</c> still overrides it), or PostgreSQL.
    /// </summary>
    public static IServiceCollection AddPersistence(this IServiceCollection services)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section)
            .Configure<IConfiguration>((o, config) => o.NamedConnectionString = config.GetConnectionString("LivePreview"))
            .Validate(o => o.ParsedProvider is not null,
                "LivePreview:Database:Provider must be Sqlite or PostgreSQL (leave it unset for SQLite in the data directory).")
            .Validate(o => o.ParsedProvider != DatabaseProvider.PostgreSQL || o.EffectiveConnectionString is not null,
                "LivePreview:Database:Provider is PostgreSQL but ConnectionStrings:LivePreview is empty: set it, e.g. "
                + "ConnectionStrings__LivePreview=\"Host=127.0.0.1;Port=5432;Database=livepreview;Username=livepreview;Password=…\".")
            .ValidateOnStart();
        services.AddDataProtectionKeys();
        return services.AddLivePreviewDatabase(sp =>
        {
            var o = sp.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var provider = o.ParsedProvider ?? DatabaseProvider.Sqlite;
            if (o.EffectiveConnectionString is { } connectionString)
            {
                return new DatabaseTarget(provider, connectionString);
            }
            var dataDir = sp.GetRequiredService<IOptions<LivePreviewOptions>>().Value.ResolveDataDirectory();
            Directory.CreateDirectory(dataDir);
            return new DatabaseTarget(provider, $"Data Source={Path.Combine(dataDir, "livepreview.db")}");
        });
    }

    /// <summary>
    /// The data-protection key ring (dashboard cookie, antiforgery tokens, Blazor's prerendered circuit state, OIDC
    /// correlation) lives in the database, not in <c>$HOME/.aspnet/DataProtection-Keys</c>: instances sharing PostgreSQL
    /// read each other's cookies, and a container that restarts with an empty home keeps its sign-ins. The application
    /// name is fixed because the default discriminator is the content root, which differs between installs.
    /// <c>PersistKeysToDbContext</c> resolves the context from a scope; <c>AddDbContextFactory</c> registers it there as
    /// <see cref="ProviderDbContextFactory"/> creates it, so on PostgreSQL it is the <see cref="PostgreSqlDbContext"/>.
    /// </summary>
    internal static IServiceCollection AddDataProtectionKeys(this IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName(DataProtectionApplicationName).PersistKeysToDbContext<LivePreviewDbContext>();
        return services;
    }

    /// <summary>
    /// Loads the key ring once, after the migrations and before the server listens, so the first instance on an empty
    /// database makes the key there at start and later instances find it (the key ring would otherwise be made at the
    /// first request, and two instances answering their first requests at once would each make one).
    /// </summary>
    internal static void EnsureDataProtectionKey(this IServiceProvider services)
    {
        services.GetRequiredService<IDataProtectionProvider>().CreateProtector(DataProtectionApplicationName, "start").Protect([]);
        if (services.GetService<ILoggerFactory>()?.CreateLogger(typeof(PersistenceExtensions).FullName!) is { } logger)
        {
            var keys = services.GetRequiredService<Microsoft.AspNetCore.DataProtection.KeyManagement.IKeyManager>().GetAllKeys();
            LogKeyRing(logger, keys.Count, keys.Count(k => !k.IsRevoked && k.ExpirationDate > DateTimeOffset.UtcNow));
        }
    }

    [LoggerMessage(EventId = 2830, Level = LogLevel.Information, Message = "Data-protection keys: {Keys} in the database, {Usable} usable")]
    private static partial void LogKeyRing(ILogger logger, int keys, int usable);

    /// <summary>Every instance protects with this name: a cookie is readable by exactly the instances of one database.</summary>
    public const string DataProtectionApplicationName = "LivePreview";

    /// <summary>The context factory on a given database (the service's configuration, or a test's own database).</summary>
    internal static IServiceCollection AddLivePreviewDatabase(this IServiceCollection services, Func<IServiceProvider, DatabaseTarget> target)
    {
        services.AddSingleton(target);
        services.AddDbContextFactory<LivePreviewDbContext, ProviderDbContextFactory>((sp, options) => sp.GetRequiredService<DatabaseTarget>().Configure(options));
        return services;
    }

    internal static DbContextOptionsBuilder Configure(this DatabaseTarget target, DbContextOptionsBuilder options) => target.Provider switch
    {
        DatabaseProvider.PostgreSQL => options.UseNpgsql(target.ConnectionString).AddInterceptors(new SkipLockedInterceptor()),
        _ => options.UseSqlite(target.ConnectionString).AddInterceptors(new SqliteBusyTimeout(TimeSpan.FromSeconds(30))),
    };

    /// <summary>Applies pending migrations; on SQLite, WAL keeps readers from blocking the event writer.</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        var factory = services.GetRequiredService<IDbContextFactory<LivePreviewDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        if (services.GetService<ILoggerFactory>()?.CreateLogger(typeof(PersistenceExtensions).FullName!) is { } logger)
        {
            var provider = db.Database.IsNpgsql() ? DatabaseProvider.PostgreSQL : DatabaseProvider.Sqlite;
            LogDatabase(logger, provider, Describe(provider, db.Database.GetConnectionString()));
        }
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }

    /// <summary>Where the database is, for the log: host, port and database, or the SQLite file; never the password or other keys.</summary>
    internal static string Describe(DatabaseProvider provider, string? connectionString)
    {
        try
        {
            if (provider == DatabaseProvider.Sqlite)
            {
                return new SqliteConnectionStringBuilder(connectionString).DataSource;
            }
            var pg = new NpgsqlConnectionStringBuilder(connectionString);
            return $"{pg.Host}:{pg.Port}/{pg.Database}";
        }
        catch (ArgumentException)
        {
            return "(unparsable connection string)";
        }
    }

    [LoggerMessage(EventId = 2760, Level = LogLevel.Information, Message = "Database: {Provider} at {Location}")]
    private static partial void LogDatabase(ILogger logger, DatabaseProvider provider, string location);
}
