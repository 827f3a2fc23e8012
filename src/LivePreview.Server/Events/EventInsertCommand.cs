using System.Data;
using System.Data.Common;
using LivePreview.Persistence;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace LivePreview.Events;

/// <summary>
/// The event INSERT for a whole batch, without composing, parameterising and planning a query per event (which cost more
/// than the insert itself, and the bus publishes thousands per second): where the driver batches statements (Npgsql) every
/// event's INSERT goes in one round trip, executed in order; otherwise (SQLite, in-process, no round trip) one prepared
/// statement runs once per event with new values. Owner read in the same statement: the sandbox's owner while the sandbox exists,
/// else the owner of its last event (SANDBOX_DELETED comes after the row is gone), null without a sandbox. Reading the
/// owner inside the INSERT means no cache can be stale: a pool claim's UPDATE of the owner and its re-owning of earlier
/// events are one transaction (under the event-sequence lock), so every event is stored either before it (and re-owned)
/// or after it (and owned).
/// </summary>
internal static class EventInsertCommand
{
    private const string Sql = """
        INSERT INTO events ("Type", "EntityType", "EntityId", "SandboxId", "Timestamp", "Payload", "Owner")
        VALUES (@type, @entity_type, @entity_id, CAST(@sandbox_id AS TEXT), @timestamp, CAST(@payload AS TEXT),
            COALESCE(CASE WHEN EXISTS (SELECT 1 FROM sandboxes WHERE "Id" = CAST(@sandbox_id AS TEXT))
                 THEN (SELECT "Owner" FROM sandboxes WHERE "Id" = CAST(@sandbox_id AS TEXT))
                 ELSE (SELECT "Owner" FROM events WHERE "SandboxId" = CAST(@sandbox_id AS TEXT) ORDER BY "Sequence" DESC LIMIT 1) END,
                CAST(@owner AS TEXT)))
        RETURNING "Sequence", "Owner"
        """;

    private static readonly DateTimeOffsetToBinaryConverter TimestampConverter = new();

    /// <summary>
    /// Stores the events in order inside the context's current transaction (begin it, and take the sequence lock, first);
    /// returns each one's sequence and the owner it was stored with, in the same order.
    /// </summary>
    public static async Task<IReadOnlyList<(long Sequence, string? Owner)>> InsertAsync(
        LivePreviewDbContext db, IReadOnlyList<(EventDraft Draft, string? Payload)> events, DateTimeOffset timestamp)
    {
        var connection = db.Database.GetDbConnection();
        var transaction = db.Database.CurrentTransaction?.GetDbTransaction()
            ?? throw new InvalidOperationException("Events are inserted inside a transaction.");
        var stored = new List<(long, string?)>(events.Count);
        if (connection.CanCreateBatch && events.Count > 1)
        {
            await using var batch = connection.CreateBatch();
            batch.Transaction = transaction;
            foreach (var (draft, payload) in events)
            {
                var command = batch.CreateBatchCommand();
                command.CommandText = Sql;
                Bind(draft, timestamp, payload, (name, type, value) =>
                {
                    var parameter = command.CreateParameter();
                    (parameter.ParameterName, parameter.DbType, parameter.Value) = (name, type, value);
                    command.Parameters.Add(parameter);
                });
                batch.BatchCommands.Add(command);
            }
            await using var reader = await batch.ExecuteReaderAsync();
            do
            {
                stored.Add(await ReadRowAsync(reader));
            }
            while (await reader.NextResultAsync());
        }
        else
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Sql;
            command.Transaction = transaction;
            var parameters = new Dictionary<string, DbParameter>();
            foreach (var (draft, payload) in events)
            {
                Bind(draft, timestamp, payload, (name, type, value) =>
                {
                    if (!parameters.TryGetValue(name, out var parameter))
                    {
                        parameter = command.CreateParameter();
                        (parameter.ParameterName, parameter.DbType) = (name, type);
                        command.Parameters.Add(parameters[name] = parameter);
                    }
                    parameter.Value = value;
                });
                if (stored.Count == 0 && events.Count > 1)
                {
                    await command.PrepareAsync();
                }
                await using var reader = await command.ExecuteReaderAsync();
                stored.Add(await ReadRowAsync(reader));
            }
        }
        if (stored.Count != events.Count)
        {
            throw new InvalidOperationException($"Stored {stored.Count} events of {events.Count}.");
        }
        return stored;
    }

    private static void Bind(EventDraft draft, DateTimeOffset timestamp, string? payload, Action<string, DbType, object> set)
    {
        set("type", DbType.String, draft.Type);
        set("entity_type", DbType.String, draft.EntityType);
        set("entity_id", DbType.String, draft.EntityId);
        set("sandbox_id", DbType.String, (object?)draft.SandboxId ?? DBNull.Value);
        set("timestamp", DbType.Int64, (long)TimestampConverter.ConvertToProvider(timestamp)!);
        set("payload", DbType.String, (object?)payload ?? DBNull.Value);
        set("owner", DbType.String, (object?)draft.Owner ?? DBNull.Value);
    }

    private static async Task<(long, string?)> ReadRowAsync(DbDataReader reader)
    {
        if (!await reader.ReadAsync())
        {
            throw new InvalidOperationException("An event INSERT returned no row.");
        }
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }
}
