using Ioc.Gateway;
using Ioc.Gateway.History;
using Ioc.Ingest;
using Ioc.Ingest.Mqtt;
using Ioc.Ingest.Simulation;
using Ioc.Silo.Grains;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;

namespace Ioc.Tests.Configuration;

/// <summary>Every section is validated one way: its own attributes and rules, nested sections included, keys named in full.</summary>
public sealed class SectionValidationTests
{
    private static IServiceProvider In(string environment) =>
        new ServiceCollection().AddSingleton<IHostEnvironment>(new HostingEnvironment { EnvironmentName = environment }).BuildServiceProvider();

    // The options of every section the hub ships, each of which names its section in a constant, Section.
    public static TheoryData<Type> Shipped =>
    [
        typeof(HubOptions), typeof(HubClusterOptions), typeof(StorageOptions), typeof(TimeSeriesOptions),
        typeof(RetentionOptions), typeof(BufferOptions), typeof(IngestOptions), typeof(SimulatorOptions),
        typeof(MqttOptions), typeof(LivePushOptions), typeof(HistoryOptions), typeof(AlertOptions),
    ];

    [Theory, MemberData(nameof(Shipped))]
    public void Every_section_is_valid_as_shipped(Type options)
    {
        var section = (string)options.GetField("Section")!.GetValue(null)!;
        Assert.Empty(SectionValidation.Failures(Activator.CreateInstance(options)!, section, In(Environments.Production)));
    }

    [Fact]
    public void A_setting_out_of_range_in_a_nested_section_is_named_by_its_whole_key()
    {
        var options = new IngestOptions { Tags = { MaxKeyBytes = 0 } };
        var failure = Assert.Single(SectionValidation.Failures(options, IngestOptions.Section, null));
        Assert.StartsWith("Ingest:Tags:MaxKeyBytes: ", failure);
    }

    [Fact]
    public void A_rule_between_settings_is_checked_with_the_attributes()
    {
        var options = new IngestOptions { LivePathRoundPoints = 0, TokenRefreshPeriod = TimeSpan.FromMinutes(5) };
        Assert.Contains(SectionValidation.Failures(options, IngestOptions.Section, null), f => f.StartsWith("Ingest:LivePathRoundPoints: ", StringComparison.Ordinal));
        // Rules between settings run once every setting is within its bounds.
        options.LivePathRoundPoints = 200_000;
        Assert.Contains("Ingest:TokenMaxStaleness must be at least Ingest:TokenRefreshPeriod.",
            SectionValidation.Failures(options, IngestOptions.Section, null));
    }

    [Fact]
    public void A_rule_on_the_environment_reads_the_host_environment()
    {
        var options = new IngestOptions { DevToken = "dev-token" };
        Assert.Empty(SectionValidation.Failures(options, IngestOptions.Section, In(Environments.Development)));
        Assert.Contains(SectionValidation.Failures(options, IngestOptions.Section, In(Environments.Production)),
            f => f.Contains("Ingest:DevToken is set outside the Development environment", StringComparison.Ordinal));
    }

    [Fact]
    public void A_weak_signing_key_is_refused_outside_development_only()
    {
        var options = new HubAuthOptions { SigningKey = new string('k', 40) };
        Assert.Empty(SectionValidation.Failures(options, HubAuthOptions.Section, In(Environments.Development)));
        Assert.Contains(SectionValidation.Failures(options, HubAuthOptions.Section, In(Environments.Production)),
            f => f.Contains("Auth:SigningKey is not random enough", StringComparison.Ordinal));
    }
}
