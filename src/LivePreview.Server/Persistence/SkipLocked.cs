using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace LivePreview.Persistence;

/// <summary>
/// Lets a LINQ query end in <c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL, so the query's predicate is written once for
/// both providers: tag it with <see cref="Tag"/> (<see cref="SkipLockedExtensions.ForUpdateSkipLocked"/>) inside a transaction and this
/// interceptor appends the clause to that command only. SQLite has no row locks (its writer lock serialises claims),
/// so there the tag is an inert comment.
/// </summary>
internal sealed class SkipLockedInterceptor : DbCommandInterceptor
{
    public const string Tag = "livepreview:for-update-skip-locked";

    public override InterceptionResult<DbDataReader> ReaderExecuting(DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result)
    {
        Append(command);
        return result;
    }

    public override ValueTask<InterceptionResult<DbDataReader>> ReaderExecutingAsync(
        DbCommand command, CommandEventData eventData, InterceptionResult<DbDataReader> result, CancellationToken cancellationToken = default)
    {
        Append(command);
        return ValueTask.FromResult(result);
    }

    private static void Append(DbCommand command)
    {
        // EF writes a query's tags as leading "-- " comments: only a tagged command changes.
        if (command.CommandText.StartsWith("-- " + Tag, StringComparison.Ordinal))
        {
            command.CommandText = command.CommandText.TrimEnd().TrimEnd(';') + "\nFOR UPDATE SKIP LOCKED";
        }
    }
}

internal static class SkipLockedExtensions
{
    /// <summary>On PostgreSQL the rows read are locked until the transaction ends, and rows another transaction holds are skipped.</summary>
    public static IQueryable<T> ForUpdateSkipLocked<T>(this IQueryable<T> query) => query.TagWith(SkipLockedInterceptor.Tag);
}
