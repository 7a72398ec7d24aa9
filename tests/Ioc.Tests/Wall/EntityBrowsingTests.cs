using Ioc.Gateway.Api;
using Ioc.LoadGen;

namespace Ioc.Tests.Wall;

/// <summary>The tree per level, paged, searchable with and without diacritics, and compressed: what a wall needs at 20,000 units.</summary>
public sealed class EntityBrowsingTests(HubFactory hub) : IClassFixture<HubFactory>
{
    private HttpClient Operator => hub.CreatePersonClient(HubRoles.Operator);

    [Fact]
    public async Task One_level_lists_the_children_of_an_entity_with_counts_instead_of_child_lists()
    {
        var page = await Operator.GetFromJsonAsync<JsonElement>("/api/v1/entities?parent=hung-yen&limit=500", Cancel);

        Assert.Equal("hung-yen", page.GetProperty("entity").GetProperty("id").GetString());
        Assert.Equal(87 - 21, page.GetProperty("entity").GetProperty("unitCount").GetInt32());
        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(20, page.GetProperty("total").GetInt32());
        Assert.Equal(20, items.Count);
        Assert.DoesNotContain(items, i => i.GetProperty("kind").GetString() == "unit");
        var vanLam = items.Single(i => i.GetProperty("id").GetString() == "van-lam");
        Assert.Equal("Văn Lâm", vanLam.GetProperty("name").GetString());
        Assert.Equal(6, vanLam.GetProperty("childCount").GetInt32());
        Assert.Equal([1, 0], vanLam.GetProperty("map").EnumerateArray().Select(m => m.GetInt32()));
        Assert.False(vanLam.TryGetProperty("children", out _));
        // A group's metrics are those its units report, so that the wall knows which roll-ups it has.
        var metrics = vanLam.GetProperty("metrics").EnumerateArray().Select(m => m.GetString()).ToList();
        Assert.Contains("pm25", metrics);
        Assert.Contains("dt-budget-share", metrics);
    }

    [Fact]
    public async Task Pages_of_a_level_cover_every_child_once_in_catalog_order()
    {
        var seen = new List<string>();
        for (var offset = 0; ; offset += 4)
        {
            var page = await Operator.GetFromJsonAsync<JsonElement>($"/api/v1/entities/van-lam/children?offset={offset}&limit=4", Cancel);
            Assert.Equal(6, page.GetProperty("total").GetInt32());
            var ids = page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()!).ToList();
            if (ids.Count == 0) break;
            Assert.True(ids.Count <= 4);
            seen.AddRange(ids);
        }
        var tree = await Operator.GetFromJsonAsync<JsonElement[]>("/api/v1/entities", Cancel);
        var expected = tree!.Single(e => e.GetProperty("id").GetString() == "van-lam").GetProperty("children").EnumerateArray().Select(c => c.GetString());
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task Named_entities_come_back_in_the_order_asked()
    {
        var page = await Operator.GetFromJsonAsync<JsonElement>("/api/v1/entities?ids=van-lam-air-1,hung-yen", Cancel);

        var items = page.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["van-lam-air-1", "hung-yen"], items.Select(i => i.GetProperty("id").GetString()));
        Assert.Equal(["van-lam"], items[0].GetProperty("parents").EnumerateArray().Select(p => p.GetString()).Take(1));
        Assert.Equal(["pm25", "aqi"], items[0].GetProperty("metrics").EnumerateArray().Select(m => m.GetString()));
    }

    [Theory]
    [InlineData("/api/v1/entities?parent=hai-duong", HttpStatusCode.NotFound, "hai-duong")]
    [InlineData("/api/v1/entities?ids=van-lam,hai-duong", HttpStatusCode.NotFound, "hai-duong")]
    [InlineData("/api/v1/entities?parent=van-lam&limit=0", HttpStatusCode.BadRequest, "limit")]
    [InlineData("/api/v1/entities?parent=van-lam&limit=501", HttpStatusCode.BadRequest, "limit")]
    [InlineData("/api/v1/entities?parent=van-lam&offset=-1", HttpStatusCode.BadRequest, "offset")]
    [InlineData("/api/v1/entities?limit=10", HttpStatusCode.BadRequest, "parent")]
    [InlineData("/api/v1/entities?parent=van-lam&ids=van-lam", HttpStatusCode.BadRequest, "ids")]
    [InlineData("/api/v1/entities/search?q=", HttpStatusCode.BadRequest, "'q'")]
    [InlineData("/api/v1/entities/search?q=van&limit=51", HttpStatusCode.BadRequest, "limit")]
    public async Task A_bad_level_or_search_request_is_answered_with_a_problem_naming_what_was_wrong(string path, HttpStatusCode status, string named)
    {
        var response = await Operator.GetAsync(path, Cancel);

        Assert.Equal(status, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Contains(named, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("van lam")]
    [InlineData("Văn Lâm")]
    [InlineData("VAN-LAM")]
    [InlineData("van-lam")]
    public async Task Search_finds_a_locality_with_or_without_diacritics_and_by_id(string query)
    {
        var result = await Operator.GetFromJsonAsync<JsonElement>($"/api/v1/entities/search?q={Uri.EscapeDataString(query)}", Cancel);

        var ids = result.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetString()).ToList();
        Assert.Equal("van-lam", ids[0]);
        // And its units, whose names carry the locality's name, after it.
        Assert.Contains("van-lam-air-1", ids);
        Assert.Equal(ids.Count, result.GetProperty("total").GetInt32());
    }

    [Theory]
    [InlineData("kim dong", "kim-dong")]
    [InlineData("Kim Động", "kim-dong")]
    [InlineData("so noi vu", "so-noi-vu")]
    [InlineData("de an 06", "de-an-06")]
    [InlineData("tram quan trac khong khi phu cu", "phu-cu-air-1")]
    public async Task The_letter_d_with_stroke_and_every_diacritic_fold_to_plain_letters(string query, string expected)
    {
        var result = await Operator.GetFromJsonAsync<JsonElement>($"/api/v1/entities/search?q={Uri.EscapeDataString(query)}", Cancel);

        Assert.Equal(expected, result.GetProperty("items")[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_search_that_matches_nothing_says_so_with_an_empty_list()
    {
        var result = await Operator.GetFromJsonAsync<JsonElement>("/api/v1/entities/search?q=hai%20duong", Cancel);

        Assert.Equal(0, result.GetProperty("total").GetInt32());
        Assert.Equal(0, result.GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    public async Task The_read_api_compresses_its_answers_for_a_client_that_accepts_it(string encoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/entities");
        request.Headers.AcceptEncoding.ParseAdd(encoding);
        using var response = await Operator.SendAsync(request, Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([encoding], response.Content.Headers.ContentEncoding);
        using var plain = await Operator.GetAsync("/api/v1/entities", Cancel);
        Assert.Empty(plain.Content.Headers.ContentEncoding);
    }

    [Fact]
    public async Task The_caller_learns_which_policies_it_holds()
    {
        var asOperator = await Operator.GetFromJsonAsync<JsonElement>("/api/v1/me", Cancel);
        var asSupervisor = await hub.CreatePersonClient(HubRoles.Supervisor).GetFromJsonAsync<JsonElement>("/api/v1/me", Cancel);

        Assert.False(asOperator.GetProperty("supervise").GetBoolean());
        Assert.True(asSupervisor.GetProperty("supervise").GetBoolean());
        Assert.False(asSupervisor.GetProperty("administer").GetBoolean());
    }
}

/// <summary>The directory over the benchmark's catalog of 20,000 units: levels stay paged and search still finds one unit.</summary>
public sealed class EntityDirectoryAtProvinceScaleTests
{
    private static readonly Lazy<EntityDirectory> Directory20k = new(() =>
    {
        var path = Path.Combine(Path.GetTempPath(), $"ioc-directory-{Guid.NewGuid():N}.json");
        try
        {
            BenchCatalog.Write(path, 20_000, 4);
            return new EntityDirectory(Contracts.Catalog.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    });

    [Fact]
    public void A_locality_of_2000_units_is_read_a_page_at_a_time()
    {
        var directory = Directory20k.Value;
        var vanLam = directory.Node("van-lam")!;
        Assert.Equal(2_000, vanLam.ChildCount);

        var seen = new HashSet<string>();
        for (var offset = 0; offset < vanLam.ChildCount; offset += EntityEndpoints.DefaultLimit)
        {
            var page = directory.Children(vanLam, offset, EntityEndpoints.DefaultLimit);
            Assert.Equal(EntityEndpoints.DefaultLimit, page.Items.Length);
            Assert.All(page.Items, i => Assert.True(seen.Add(i.Id)));
        }
        Assert.Empty(directory.Children(vanLam, 2_000, EntityEndpoints.DefaultLimit).Items);
        Assert.Equal(2_000, seen.Count);
    }

    [Theory]
    [InlineData("don vi thu tai 12345")]
    [InlineData("Đơn vị thử tải 12345")]
    [InlineData("bench-12345")]
    [InlineData("benchmark unit 12345")]
    public void One_unit_among_20000_is_found_by_name_with_or_without_diacritics_or_by_id(string query)
    {
        var result = Directory20k.Value.Search(query, 20);

        Assert.Equal(1, result.Total);
        Assert.Equal("bench-12345", Assert.Single(result.Items).Id);
    }

    [Fact]
    public void A_broad_search_counts_every_match_and_returns_only_the_first_few()
    {
        var result = Directory20k.Value.Search("don vi", 10);

        Assert.Equal(20_000, result.Total);
        Assert.Equal(10, result.Items.Length);
        Assert.Equal("bench-00001", result.Items[0].Id);
    }
}
