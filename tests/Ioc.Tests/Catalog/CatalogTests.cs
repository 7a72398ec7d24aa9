namespace Ioc.Tests.Catalog;

public sealed class CatalogTests
{
    private static Contracts.Catalog Seeded() => Contracts.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog", "hung-yen.json"));

    private static CatalogException Invalid(string json) =>
        Assert.Throws<CatalogException>(() => Contracts.Catalog.Parse(new MemoryStream(Encoding.UTF8.GetBytes(json))));

    [Fact]
    public void Seeded_catalog_holds_the_province_its_ten_localities_five_departments_and_five_projects()
    {
        var catalog = Seeded();
        Assert.Equal("Hưng Yên", catalog.Province.Name);
        Assert.Equal(10, catalog.Entities.Count(e => e.IsLocality));
        Assert.Contains(catalog.Entities, e => e.Id == "tp-hung-yen" && e.Kind == EntityKind.City && e.Name == "Thành phố Hưng Yên");
        Assert.Contains(catalog.Entities, e => e.Id == "tx-my-hao" && e.Kind == EntityKind.Town && e.Name == "Thị xã Mỹ Hào");
        Assert.Equal(8, catalog.Entities.Count(e => e.Kind == EntityKind.District));
        Assert.Equal(5, catalog.Entities.Count(e => e.Kind == EntityKind.Department));
        Assert.Equal(5, catalog.Entities.Count(e => e.Kind == EntityKind.Project));
    }

    [Fact]
    public void Every_locality_has_its_peoples_committee_and_at_least_three_field_units()
    {
        var catalog = Seeded();
        foreach (var locality in catalog.Entities.Where(e => e.IsLocality))
        {
            var units = catalog.ChildrenOf(locality.Id).Select(catalog.Entity).Where(e => e.Kind == EntityKind.Unit).ToList();
            Assert.True(units.Count >= 4, $"{locality.Id} has {units.Count} units");
            Assert.Contains(units, u => u.Role == "people-committee" && u.Name.StartsWith("UBND ", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Letter_targets_are_seeded_at_least_one_it_official_and_one_percent_of_budget()
    {
        var catalog = Seeded();
        Assert.Equal(new Target(TargetDirection.AtLeast, 1), catalog.Metric("it-officials").Target);
        Assert.Equal(new Target(TargetDirection.AtLeast, 1.0), catalog.Metric("dt-budget-share").Target);
        Assert.Equal(HealthStatus.BelowTarget, catalog.Metric("dt-budget-share").Classify(0.8));
        Assert.Equal(HealthStatus.Ok, catalog.Metric("dt-budget-share").Classify(1.0));
    }

    [Fact]
    public void A_unit_rolls_up_to_its_locality_department_and_projects_and_the_province_only_through_localities()
    {
        var catalog = Seeded();
        Assert.Equal(["tp-hung-yen", "so-tttt", "ioc"], catalog.ParentsOf("ioc-data-centre"));
        Assert.All(catalog.RollupSourcesOf("hung-yen"), id => Assert.True(catalog.Entity(id).IsLocality));
        Assert.Equal(catalog.Entities.Count(e => e.Kind == EntityKind.Unit), catalog.UnitsUnder("hung-yen").Count);
    }

    [Fact]
    public void A_unit_without_a_locality_stops_loading_and_the_message_names_it()
    {
        var ex = Invalid("""
            {"metrics":[{"id":"pm25","name":"PM2.5","unitOfMeasure":"µg/m³","interval":"00:01:00","rollup":"Average"}],
             "entities":[{"id":"hung-yen","kind":"Province","name":"Hưng Yên"},
                         {"id":"lost-sensor","kind":"Unit","name":"Trạm","metrics":["pm25"]}]}
            """);
        Assert.Contains("'lost-sensor'", ex.Message);
        Assert.Contains("exactly one locality", ex.Message);
    }

    [Fact]
    public void A_unit_reporting_an_unknown_metric_stops_loading_and_the_message_names_both()
    {
        var ex = Invalid("""
            {"metrics":[],
             "entities":[{"id":"hung-yen","kind":"Province","name":"Hưng Yên"},
                         {"id":"van-lam","kind":"District","name":"Văn Lâm"},
                         {"id":"van-lam-air-1","kind":"Unit","name":"Trạm","locality":"van-lam","metrics":["pm10"]}]}
            """);
        Assert.Contains("'van-lam-air-1'", ex.Message);
        Assert.Contains("'pm10'", ex.Message);
    }

    [Fact]
    public void A_duplicate_id_or_an_unknown_field_stops_loading()
    {
        Assert.Contains("duplicate", Invalid("""
            {"metrics":[],"entities":[{"id":"hung-yen","kind":"Province","name":"A"},{"id":"hung-yen","kind":"District","name":"B"}]}
            """).Message);
        Assert.Contains("colour", Invalid("""
            {"metrics":[],"entities":[{"id":"hung-yen","kind":"Province","name":"A","colour":"red"}]}
            """).Message);
    }
}
