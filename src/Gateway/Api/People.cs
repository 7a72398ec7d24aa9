using System.Security.Claims;

namespace Ioc.Gateway.Api;

/// <summary>Who a signed-in person is, for audit trails.</summary>
internal static class People
{
    /// <summary>The token's <c>name</c> (its <c>sub</c> when it has no name) and its <c>sub</c>.</summary>
    public static (string Name, string? Subject) Of(ClaimsPrincipal user)
    {
        var subject = user.FindFirstValue("sub");
        return (user.FindFirstValue("name") ?? subject ?? "unknown", subject);
    }
}
