namespace Ioc.Tests.Infrastructure;

/// <summary>The hub's refusals over HTTP, read as a client reads them.</summary>
public static class ProblemAnswers
{
    /// <summary>Checks that <paramref name="response"/> is a <c>ProblemDetails</c> answer with <paramref name="status"/>, and returns its body.</summary>
    public static async Task<JsonElement> Problem(this HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
    }
}
