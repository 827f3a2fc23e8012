using LivePreview.Persistence;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace LivePreview.Tests.Support;

/// <summary>
/// The database a hand-built test service runs on: a SQLite file in the test's folder, or a fresh database on the shared
/// <see cref="PostgresServer"/> when <paramref name="postgres"/> is set (a PostgreSQL test class) or the whole run is on
/// PostgreSQL (<c>LIVEPREVIEW_TEST_DATABASE=postgresql</c>). Disposing drops the PostgreSQL database.
/// </summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private readonly string? _postgresName;

    private TestDatabase(DatabaseTarget target, string? postgresName)
    {
        Target = target;
        _postgresName = postgresName;
    }

    public DatabaseTarget Target { get; }

    public static async Task<TestDatabase> CreateAsync(string sqliteFile, bool postgres = false, bool sqlitePooling = false)
    {
        if (!postgres && !PostgresServer.SuiteRunsOnPostgres)
        {
            return new(new DatabaseTarget(DatabaseProvider.Sqlite, $"Data Source={sqliteFile}" + (sqlitePooling ? "" : ";Pooling=False")), null);
        }
        var server = await PostgresServer.SharedAsync();
        var connectionString = await server.CreateDatabaseAsync();
        return new(new DatabaseTarget(DatabaseProvider.PostgreSQL, connectionString), new NpgsqlConnectionStringBuilder(connectionString).Database);
    }

    /// <summary>A service provider with the context factory on this database (one per simulated instance).</summary>
    public ServiceProvider CreateServices() => new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddLivePreviewDatabase(_ => Target).BuildServiceProvider();

    public async ValueTask DisposeAsync()
    {
        if (_postgresName is null)
        {
            return;
        }
        await using (var connection = new NpgsqlConnection(Target.ConnectionString))
        {
            NpgsqlConnection.ClearPool(connection);
        }
        var server = await PostgresServer.SharedAsync();
        await server.ExecuteAsync($"DROP DATABASE IF EXISTS \"{_postgresName}\" WITH (FORCE)");
    }
}
