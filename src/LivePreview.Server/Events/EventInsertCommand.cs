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
    /// Stores the events in order, atomically, and returns each one's sequence and the owner it was stored with, in the
    /// same order. Where the driver batches statements (Npgsql) this is one round trip: the event-sequence lock and every
    /// INSERT in one <see cref="DbBatch"/> without an explicit transaction, which PostgreSQL runs as one implicit
    /// transaction committed at the batch's end (BEGIN, the lock and COMMIT as their own round trips cost more than the
    /// inserts on a busy machine). Otherwise (SQLite) one transaction runs a prepared statement once per event.
    /// </summary>
    public static async Task<IReadOnlyList<(long Sequence, string? Owner)>> StoreAsync(
        LivePreviewDbContext db, IReadOnlyList<(EventDraft Draft, string? Payload)> events, DateTimeOffset timestamp)
    {
        var stored = db.Database.GetDbConnection().CanCreateBatch
            ? await StoreInOneBatchAsync(db, events, timestamp)
            : await StoreInTransactionAsync(db, events, timestamp);
        if (stored.Count != events.Count)
        {
            throw new InvalidOperationException($"Stored {stored.Count} events of {events.Count}.");
        }
        return stored;
    }

    private static async Task<List<(long, string?)>> StoreInOneBatchAsync(
        LivePreviewDbContext db, IReadOnlyList<(EventDraft Draft, string? Payload)> events, DateTimeOffset timestamp)
    {
        await db.Database.OpenConnectionAsync();
        await using var batch = db.Database.GetDbConnection().CreateBatch();
        // First, inside the same implicit transaction: sequences become visible in the order they are taken (see
        // DatabaseLocks), and under READ COMMITTED each INSERT after it reads what the previous holder committed.
        var lockCommand = batch.CreateBatchCommand();
        lockCommand.CommandText = "SELECT pg_advisory_xact_lock(@key)";
        var key = lockCommand.CreateParameter();
        (key.ParameterName, key.DbType, key.Value) = ("key", DbType.Int64, DatabaseLocks.EventSequence);
        lockCommand.Parameters.Add(key);
        batch.BatchCommands.Add(lockCommand);
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
        var stored = new List<(long, string?)>(events.Count);
        await using var reader = await batch.ExecuteReaderAsync();
        // The lock's own result (one row, void) comes first.
        while (await reader.NextResultAsync())
        {
            stored.Add(await ReadRowAsync(reader));
        }
        return stored;
    }

    private static async Task<List<(long, string?)>> StoreInTransactionAsync(
        LivePreviewDbContext db, IReadOnlyList<(EventDraft Draft, string? Payload)> events, DateTimeOffset timestamp)
    {
        await using var transaction = await db.Database.BeginTransactionAsync();
        // SQLite's one writer lock already orders the sequences; this is a no-op there, kept for any other provider.
        await db.Database.LockForTransactionAsync(DatabaseLocks.EventSequence, CancellationToken.None);
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = Sql;
        command.Transaction = transaction.GetDbTransaction();
        var parameters = new Dictionary<string, DbParameter>();
        var stored = new List<(long, string?)>(events.Count);
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
        await transaction.CommitAsync();
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
