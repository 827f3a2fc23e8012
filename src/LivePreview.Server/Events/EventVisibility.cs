using System.Security.Claims;
using LivePreview.Auth;

namespace LivePreview.Events;

/// <summary>
/// Which events a principal may read: those of the sandboxes they own (admins: all). Applied on top of the
/// caller's own filter, in SQL for reads and replays and in memory for live delivery; a cursor only skips.
/// </summary>
public static class EventVisibility
{
    /// <summary>The filter narrowed to what <paramref name="user"/> may read (unchanged for admins).</summary>
    public static EventFilter VisibleTo(this EventFilter filter, ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(user);
        return user.IsAdmin() ? filter with { Owner = null } : filter with { Owner = user.RequireUserId() };
    }
}
