using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace LivePreview.Persistence;

/// <summary>
/// Lets SQLite itself wait for a busy database (its busy handler backs off from 1 ms upwards) instead
/// of Microsoft.Data.Sqlite's retry loop, which sleeps 150 ms per attempt: with the event bus, preview
/// transitions and pool claims all writing, one collision otherwise added 150–300 ms to a request.
/// </summary>
internal sealed class SqliteBusyTimeout(TimeSpan timeout) : DbConnectionInterceptor
{
    private readonly string _pragma = $"PRAGMA busy_timeout = {(int)timeout.TotalMilliseconds};";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragma;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = _pragma;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
