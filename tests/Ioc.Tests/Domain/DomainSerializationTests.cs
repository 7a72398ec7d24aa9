using Orleans.Serialization;

namespace Ioc.Tests.Domain;

/// <summary>
/// The domain's types know nothing of Orleans; the surrogates in Contracts carry them across grain calls and
/// into grain state. Checked with Orleans' own serializer and copier, without a silo.
/// </summary>
public sealed class DomainSerializationTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 8, 30, 0, TimeSpan.FromHours(7));
    private static readonly ServiceProvider Services = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(TargetConverter).Assembly))
        .BuildServiceProvider();

    public static TheoryData<object> Values => new()
    {
        new Target(TargetDirection.AtLeast, 1.0),
        new Thresholds(TargetDirection.AtMost, 50, null),
        new MetricRule("pm25", new Target(TargetDirection.AtMost, 25), new Thresholds(TargetDirection.AtMost, 50, 100)),
        new MetricRule("it-officials", null, null),
        new StatusCounts(1, 2, 3, 4, 5),
        MetricPartial.Of("pm25", 38.2, At).Combine(MetricPartial.Of("pm25", 12, At.AddMinutes(-1))),
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void A_domain_value_survives_the_wire_and_a_copy_unchanged(object value)
    {
        var serializer = Services.GetRequiredService<Serializer<object>>();
        Assert.Equal(value, serializer.Deserialize(serializer.SerializeToArray(value)));
        Assert.Equal(value, Services.GetRequiredService<DeepCopier>().Copy(value));
    }

    [Fact]
    public void Messages_that_carry_domain_values_survive_the_wire_unchanged()
    {
        var serializer = Services.GetRequiredService<Serializer>();
        var rules = new UnitRules(7, [new MetricRule("pm25", null, new Thresholds(TargetDirection.AtMost, 50, 100))]);
        var back = serializer.Deserialize<UnitRules>(serializer.SerializeToArray(rules))!;
        Assert.Equal((rules.Version, rules.Metrics[0]), (back.Version, back.Metrics[0]));

        var report = new ChildReport("van-lam", HealthStatus.Warning, At, new StatusCounts(3, 0, 1, 0, 2),
            [MetricPartial.Of("pm25", 61, At), MetricPartial.Empty("aqi")], BelowTarget: 2, NotReported: 4);
        var reportBack = serializer.Deserialize<ChildReport>(serializer.SerializeToArray(report))!;
        Assert.Equal(report with { Partials = [] }, reportBack with { Partials = [] });
        Assert.Equal<MetricPartial>(report.Partials, reportBack.Partials);
    }
}
