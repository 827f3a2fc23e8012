using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace LivePreview.Persistence;

/// <summary>
/// Transaction-scoped locks that hold across every instance sharing the database. On PostgreSQL an advisory lock
/// (<c>pg_advisory_xact_lock</c>, released at commit or rollback); on SQLite nothing is needed, because the one writer
/// lock already serialises every write transaction. Call it first in the transaction, before the statements it guards:
/// under READ COMMITTED each later statement then reads what the previous holder committed.
/// </summary>
internal static class DatabaseLocks
{
    /// <summary>Event inserts: sequences must become visible in the order they were given out.</summary>
    public const long EventSequence = 0x4C50_0001;

    /// <summary>Sandbox admission (creates and pool claims): the MaxSandboxes and per-user counts must be read by one at a time.</summary>
    public const long SandboxAdmission = 0x4C50_0002;

    public static async Task LockForTransactionAsync(this DatabaseFacade database, long key, CancellationToken cancellationToken)
    {
        if (database.IsNpgsql())
        {
            await database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({key})", cancellationToken);
        }
    }
}
