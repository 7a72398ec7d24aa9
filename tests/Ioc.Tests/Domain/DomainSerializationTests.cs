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
        .AddSerializer(b => b.AddAssembly(typeof(DomainConverters).Assembly))
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

    // Written by the surrogates as they stand, type names included: grain state stored today holds these bytes.
    public static TheoryData<object, string> Stored => new()
    {
        { new Target(TargetDirection.AtLeast, 1.0), "300166FB57A539496F632E446F6D61696E2E5461726765742C496F632E446F6D61696EE808030181000000000000F03FE0" },
        { new Thresholds(TargetDirection.AtMost, 50, null), "30019E3E1FBA41496F632E446F6D61696E2E5468726573686F6C64732C496F632E446F6D61696EE8080305810000000000004940C101E0" },
        {
            new MetricRule("pm25", new Target(TargetDirection.AtMost, 25), new Thresholds(TargetDirection.AtMost, 50, 100)),
            "3001162C34A341496F632E446F6D61696E2E4D657472696352756C652C496F632E446F6D61696EE84009706D323521E8080305810000000000003940E021E8080305810000000000004940810000000000005940E0E0"
        },
        { new StatusCounts(1, 2, 3, 4, 5), "30016348D0E645496F632E446F6D61696E2E537461747573436F756E74732C496F632E446F6D61696EE800050109010D01110115E0" },
        {
            MetricPartial.Of("pm25", 38.2, At).Combine(MetricPartial.Of("pm25", 12, At.AddMinutes(-1))),
            "3001E4C00CB747496F632E446F6D61696E2E4D65747269635061727469616C2C496F632E446F6D61696EE84009706D3235819A999999991949400109810000000000002840819A99999999194340819A99999999194340218000B45CBA6C77DE088100D85EAC3A000000E0E0"
        },
    };

    [Theory]
    [MemberData(nameof(Stored))]
    public void A_domain_value_is_written_byte_for_byte_as_stored_state_holds_it_and_reads_back_from_those_bytes(object value, string stored)
    {
        var serializer = Services.GetRequiredService<Serializer<object>>();
        Assert.Equal(stored, Convert.ToHexString(serializer.SerializeToArray(value)));
        Assert.Equal(value, serializer.Deserialize(Convert.FromHexString(stored)));
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
