using System.Collections.Immutable;
using Ioc.Gateway.Api;
using Microsoft.OpenApi;

namespace Ioc.Tests.Alerts;

/// <summary>The alerts list answers a page at a time; walking the pages by their cursors gives the whole list once, in order.</summary>
public sealed class AlertPagingTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 14, 9, 0, 0, TimeSpan.Zero);

    private static Alert At(string id, int minutes, AlertState state = AlertState.Active) =>
        new(id, id.Split('.')[0], id, "pm25", "PM2.5", AlertSeverity.Warning, state, 60, 50, T0.AddMinutes(minutes), null, null, null, false, null, 1);

    private static ImmutableArray<Alert> Sorted(params Alert[] alerts) => [.. alerts.Order(Comparer<Alert>.Create(AlertPage.Compare))];

    [Fact]
    public void Pages_walked_by_their_cursors_are_the_whole_filtered_list_newest_first_with_nothing_twice()
    {
        var random = new Random(13);
        // Three indexes' lists, with alerts raised at the same minute in different lists, ordered by id among themselves.
        var lists = Enumerable.Range(0, 3).Select(l => Sorted([.. Enumerable.Range(0, 40).Select(i =>
            At($"unit-{l}.{i}", random.Next(30), random.Next(3) == 0 ? AlertState.Cleared : AlertState.Active))])).ToArray();
        var expected = lists.SelectMany(l => l).Where(a => a.State == AlertState.Active).Order(Comparer<Alert>.Create(AlertPage.Compare)).Select(a => a.Id).ToList();

        foreach (var size in new[] { 1, 3, 7, 200 })
        {
            var walked = new List<string>();
            AlertCursor? cursor = null;
            do
            {
                var (page, next) = AlertPage.Take(lists, a => a.State == AlertState.Active, cursor, size);
                Assert.InRange(page.Length, next is null ? 0 : size, size);
                walked.AddRange(page.Select(a => a.Id));
                // The cursor travels as text, as it does in the Link header.
                cursor = next is { } n ? (AlertCursor.TryParse(n.ToString(), out var back) ? back : throw new InvalidOperationException(n.ToString())) : null;
            }
            while (cursor is not null);
            Assert.Equal(expected, walked);
        }
    }

    [Fact]
    public void A_page_that_reaches_the_end_has_no_next_cursor_and_one_that_does_not_has_one()
    {
        ImmutableArray<Alert>[] lists = [Sorted(At("a.1", 3), At("a.2", 1)), Sorted(At("b.1", 2))];
        Assert.Null(AlertPage.Take(lists, _ => true, null, 3).Next);
        var (page, next) = AlertPage.Take(lists, _ => true, null, 2);
        Assert.Equal(["a.1", "b.1"], page.Select(a => a.Id));
        Assert.Equal(new AlertCursor(T0.AddMinutes(2), "b.1"), next);
        Assert.Equal(["a.2"], AlertPage.Take(lists, _ => true, next, 2).Page.Select(a => a.Id));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a cursor")]
    [InlineData("MTIz")]          // "123": no id
    [InlineData("eDphLjE")]       // "x:a.1": no time
    [InlineData("LTE6YS4x")]      // "-1:a.1": a negative time
    public void Text_that_is_not_a_cursor_is_refused(string text) => Assert.False(AlertCursor.TryParse(text, out _));

    [Fact]
    public async Task The_api_answers_a_page_with_a_Link_to_the_next_and_following_the_links_gives_the_whole_list()
    {
        await AlertScenario.RaiseTwo(hub, "an-thi");
        var client = hub.CreatePersonClient(HubRoles.Operator);
        var all = (await client.GetFromJsonAsync<Alert[]>("/api/v1/alerts?scope=an-thi&limit=10000", Screen.Json, Cancel))!;
        Assert.True(all.Length >= 2, $"{all.Length} alerts under an-thi");

        var walked = new List<string>();
        string? next = "/api/v1/alerts?scope=an-thi&limit=1";
        while (next is not null)
        {
            using var response = await client.GetAsync(next, Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = (await response.Content.ReadFromJsonAsync<Alert[]>(Screen.Json, Cancel))!;
            Assert.InRange(page.Length, 0, 1);
            walked.AddRange(page.Select(a => a.Id));
            next = response.Headers.TryGetValues("Link", out var links) ? NextOf(links.Single()) : null;
        }
        Assert.Equal(all.Select(a => a.Id), walked);

        // The whole list fits the default page: no link.
        using var whole = await client.GetAsync("/api/v1/alerts?scope=an-thi", Cancel);
        Assert.False(whole.Headers.Contains("Link"));
        Assert.Equal(all.Select(a => a.Id), (await whole.Content.ReadFromJsonAsync<Alert[]>(Screen.Json, Cancel))!.Select(a => a.Id));
        // A unit's scope pages its own alerts only.
        var own = (await client.GetFromJsonAsync<Alert[]>("/api/v1/alerts?scope=an-thi-air-1&limit=1", Screen.Json, Cancel))!;
        Assert.Equal("an-thi-air-1", Assert.Single(own).Entity);
    }

    [Fact]
    public async Task A_cursor_the_hub_did_not_write_is_a_400_naming_the_parameter()
    {
        using var response = await hub.CreatePersonClient(HubRoles.Operator).GetAsync("/api/v1/alerts?before=yesterday", Cancel);
        var problem = await response.Problem(HttpStatusCode.BadRequest);
        Assert.Contains("'before'", problem.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_OpenAPI_description_documents_limit_and_before()
    {
        using var response = await hub.CreateClient().GetAsync("/openapi/v1.json", Cancel);
        var document = OpenApiDocument.Parse(await response.Content.ReadAsStringAsync(Cancel), "json").Document!;
        var list = document.Paths["/api/v1/alerts"].Operations![HttpMethod.Get];
        Assert.Contains("Link", list.Description, StringComparison.Ordinal);
        foreach (var name in new[] { "limit", "before" })
            Assert.False(string.IsNullOrEmpty(list.Parameters!.Single(p => p.Name == name).Description), $"'{name}' is not described");
    }

    /// <summary>The address in a <c>Link: &lt;…&gt;; rel="next"</c> header.</summary>
    private static string NextOf(string link)
    {
        Assert.EndsWith("; rel=\"next\"", link, StringComparison.Ordinal);
        return link[1..link.IndexOf('>', StringComparison.Ordinal)];
    }
}
