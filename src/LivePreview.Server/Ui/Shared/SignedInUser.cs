using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;

namespace LivePreview.Ui.Shared;

/// <summary>
/// The user of a page (the circuit's, or the request's while prerendering). Pages use it for everything they
/// read — <see cref="Sandboxes.SandboxManager.FindVisibleAsync"/>, <see cref="Events.EventVisibility.VisibleTo"/> —
/// so a page shows only the signed-in user's things (admins: all), like the API.
/// </summary>
internal static class SignedInUser
{
    public static async Task<ClaimsPrincipal> UserAsync(this AuthenticationStateProvider authentication) =>
        (await authentication.GetAuthenticationStateAsync()).User;
}
