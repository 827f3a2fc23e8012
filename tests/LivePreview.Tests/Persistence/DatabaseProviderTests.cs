using System.Net;
using LivePreview.Hosting;
using LivePreview.Persistence;
using LivePreview.Tests.Support;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace LivePreview.Tests.Persistence;

/// <summary>Choosing the database by configuration: the two providers, and the messages for a wrong choice.</summary>
public sealed class DatabaseProviderTests
{
    [Fact]
    public async Task An_unknown_provider_stops_the_start_with_a_message_naming_the_two()
    {
        var e = await StartFailureAsync(new() { ["LivePreview:Database:Provider"] = "MySql" });
        Assert.Contains("must be Sqlite or PostgreSQL", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgreSQL_without_a_connection_string_stops_the_start_and_says_which_setting_to_set()
    {
        var e = await StartFailureAsync(new() { ["LivePreview:Database:Provider"] = "PostgreSQL" });
        Assert.Contains("ConnectionStrings:LivePreview", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_logged_location_names_host_port_and_database_but_never_the_password()
    {
        var location = PersistenceExtensions.Describe(DatabaseProvider.PostgreSQL, "Host=db.internal;Port=6543;Database=lp;Username=svc;Password=hunter2-secret");
        Assert.Equal("db.internal:6543/lp", location);
        Assert.DoesNotContain("hunter2", PersistenceExtensions.Describe(DatabaseProvider.PostgreSQL, "Host=x;Password=hunter2"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_service_configured_for_PostgreSQL_migrates_its_database_and_answers()
    {
        var server = await PostgresServer.SharedAsync();
        var connectionString = await server.CreateDatabaseAsync();
        await using var host = await LivePreviewHost.StartAsync(new Dictionary<string, string?>
        {
            ["LivePreview:Database:Provider"] = "postgresql",
            ["ConnectionStrings:LivePreview"] = connectionString,
        });

        using var response = await host.Http.GetAsync("api/v1/sandboxes");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var db = await host.Service<IDbContextFactory<LivePreviewDbContext>>().CreateDbContextAsync();
        Assert.IsType<PostgreSqlDbContext>(db);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    private static async Task<Exception> StartFailureAsync(Dictionary<string, string?> settings)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("livepreview-test-").FullName;
        try
        {
            var e = await Assert.ThrowsAnyAsync<Exception>(() => LivePreviewHost.StartAsync(settings, dataDirectory));
            return e is OptionsValidationException ? e : e.InnerException is OptionsValidationException inner ? inner : e;
        }
        finally
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
    }
}
